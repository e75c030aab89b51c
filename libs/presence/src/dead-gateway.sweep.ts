import { PipelineBatch } from './pipeline.batch';
import { parseConnectionMember } from './presence.store';
import { runSweepSteps, SWEEP_CHUNK, SweepContext } from './sweep.context';

export interface DeadGatewayTimings {
  gatewayDeadAfterMs: number;
}

/**
 * Gateways that stopped heartbeating (killed, partitioned): each connection they reported
 * gets the disconnect logic, so its user goes offline after the usual grace unless another
 * gateway still holds a connection of theirs. lastSeen is the gateway's last heartbeat.
 *
 * Crash-safe by construction: the disconnect logic is idempotent and removes the connection
 * from the gateway's set, and the gateway itself is forgotten only once its set is empty, so
 * a sweeper that dies half-way leaves the rest for the next one.
 *
 * A new lease holder judges no gateway before it has held the lease for a full
 * `gatewayDeadAfterMs`: heartbeats the previous holder left unread in the stream must be
 * applied first, or every gateway would look dead after a presence outage and every user
 * would be disconnected.
 */
export class DeadGatewaySweep {
  constructor(
    private readonly ctx: SweepContext,
    private readonly timings: DeadGatewayTimings,
    private readonly heldSince: number,
  ) {}

  async run(): Promise<void> {
    const now = Date.now();
    if (now - this.heldSince < this.timings.gatewayDeadAfterMs) return;
    const cutoff = now - this.timings.gatewayDeadAfterMs;
    let dead: { gatewayId: string; lastBeat: number }[] = [];
    const read = new PipelineBatch(this.ctx.redis);
    this.ctx.store.deadGateways(read, cutoff, 100, (gateways) => (dead = gateways));
    await read.exec();
    for (const gateway of dead) await this.sweep(gateway.gatewayId, gateway.lastBeat, cutoff);
  }

  private sweep(gatewayId: string, lastBeat: number, cutoff: number): Promise<void> {
    this.ctx.logger.warn({ gateway: gatewayId, lastBeat: new Date(lastBeat).toISOString() }, 'gateway stopped heartbeating; sweeping its connections');
    return runSweepSteps(this.ctx.lock, () => this.step(gatewayId, lastBeat, cutoff));
  }

  /** Disconnects one chunk of the gateway's connections; false once there is nothing left to do. */
  private async step(gatewayId: string, lastBeat: number, cutoff: number): Promise<boolean> {
    const { redis, store, metrics, logger } = this.ctx;
    let stillDead = false;
    let members: string[] = [];
    const read = new PipelineBatch(redis);
    store.gatewayStillDead(read, gatewayId, cutoff, (dead) => (stillDead = dead));
    store.someGatewayConnections(read, gatewayId, SWEEP_CHUNK, (found) => (members = found));
    await read.exec();
    if (!stillDead) {
      logger.info({ gateway: gatewayId }, 'gateway heartbeated again; sweep stopped');
      return false;
    }

    const write = new PipelineBatch(redis);
    if (members.length === 0) {
      store.forgetGateway(write, gatewayId, cutoff);
      await write.exec();
      metrics.swept.inc({ kind: 'gateway' });
      logger.warn({ gateway: gatewayId }, 'dead gateway swept');
      return false;
    }
    const now = Date.now();
    for (const member of members) {
      const conn = parseConnectionMember(member);
      if (conn) store.disconnect(write, { ...conn, gatewayId }, lastBeat, now);
      else store.dropGatewayConnection(write, gatewayId, member);
    }
    await write.exec();
    metrics.swept.inc({ kind: 'connection' }, members.length);
    return true;
  }
}
