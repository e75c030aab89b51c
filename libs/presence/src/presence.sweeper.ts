import { DeadGatewaySweep, DeadGatewayTimings } from './dead-gateway.sweep';
import { OfflineSweep } from './offline.sweep';
import { SweepContext } from './sweep.context';
import { TypingSweep } from './typing.sweep';

/**
 * The time-driven half of presence, run only by the lease holder (started when it acquires
 * the lease, stopped when it loses or hands it back): one timer drives the three sweeps in
 * turn — offline deadlines, dead gateways, typing expiry. A tick that is still running when
 * the next is due is not doubled up.
 */
export class PresenceSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly offline: OfflineSweep;
  private readonly gateways: DeadGatewaySweep;
  private readonly typing: TypingSweep;

  constructor(
    private readonly ctx: SweepContext,
    timings: DeadGatewayTimings,
    private readonly intervalMs: number,
  ) {
    this.offline = new OfflineSweep(ctx);
    this.gateways = new DeadGatewaySweep(ctx, timings, Date.now());
    this.typing = new TypingSweep(ctx);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Stops the timer and waits for the tick in progress (its events are published). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    const done = this.ctx.metrics.sweepSeconds.startTimer();
    this.running = this.sweepAll()
      .catch((err) => this.ctx.logger.warn({ err }, 'presence sweep failed; retrying next tick'))
      .finally(() => {
        done();
        this.running = undefined;
      });
  }

  private async sweepAll(): Promise<void> {
    await this.offline.run();
    await this.gateways.run();
    await this.typing.run();
  }
}
