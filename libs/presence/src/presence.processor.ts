import Redis from 'ioredis';
import { ErrorCode, InternalOp } from '@chat/protocol';
import { Logger } from '@chat/observability';
import { StreamEntry } from '@chat/redis';
import { BatchContext, BatchHandler, ChatEffects, internalErrorReply } from '@chat/streams';
import { PipelineBatch } from './pipeline.batch';
import { decodePresenceOp, PresenceOp } from './presence-op.decoder';
import { publishPresence, publishTyping } from './presence.events';
import { PresenceMetrics } from './presence.metrics';
import { PresenceStore } from './presence.store';
import { PublishOrderLock } from './publish-order.lock';

/**
 * Turns one batch of `presence:in` entries into state changes and events. The batch's
 * changes go to Redis as one pipeline of atomic scripts in stream order (a second, earlier
 * round trip only when it holds typing.start, to check membership); the scripts say what
 * changed, and only that is published. A redelivered batch publishes the current state even
 * when nothing changed, because its first attempt may have changed the state and died
 * before publishing. Runs in its turn of the PublishOrderLock, which the returned ChatEffects ends
 * once the worker flushed it.
 */
export class PresenceProcessor implements BatchHandler {
  constructor(
    private readonly redis: Redis,
    private readonly store: PresenceStore,
    private readonly lock: PublishOrderLock,
    private readonly metrics: PresenceMetrics,
    private readonly logger: Logger,
    /** S: presence events go to rooms on channels named with their shard. */
    private readonly shards: number,
  ) {}

  async process(_stream: string, entries: StreamEntry[], { redelivered }: BatchContext): Promise<ChatEffects> {
    const endTurn = await this.lock.acquire();
    try {
      const out = new ChatEffects({ shards: this.shards });
      // The worker commits these right after process(); only then does the turn end.
      out.onSettled(endTurn);
      const ops: PresenceOp[] = [];
      for (const entry of entries) {
        const op = decodePresenceOp(entry, out, this.logger);
        if (op) ops.push(op);
        else this.metrics.opsProcessed.inc({ op: 'invalid', outcome: ErrorCode.BAD_REQUEST });
      }
      const now = Date.now();
      const members = await this.typingMembership(ops);
      const batch = new PipelineBatch(this.redis);
      for (const op of ops) this.queue(op, batch, out, now, redelivered, members);
      await batch.exec();
      return out;
    } catch (err) {
      endTurn();
      throw err;
    }
  }

  /** The typing.start ops whose sender is a member of the room. */
  private async typingMembership(ops: PresenceOp[]): Promise<Set<PresenceOp>> {
    const members = new Set<PresenceOp>();
    const batch = new PipelineBatch(this.redis);
    for (const op of ops) {
      if (op.type === 'typing.start') this.store.isMember(batch, op.env.u, op.roomId, (member) => member && members.add(op));
    }
    await batch.exec();
    return members;
  }

  private queue(op: PresenceOp, b: PipelineBatch, out: ChatEffects, now: number, force: boolean, members: Set<PresenceOp>): void {
    const { env } = op;
    const conn = { userId: env.u, connectionId: env.c, gatewayId: env.g };
    const done = (outcome = 'done') => this.metrics.opsProcessed.inc({ op: op.type, outcome });
    switch (op.type) {
      case InternalOp.PRESENCE_CONNECT:
        this.store.connect(b, conn, now, force, (change) => {
          publishPresence(out, { userId: env.u, status: change.status, lastSeenMs: now, rooms: change.rooms });
          this.metrics.presenceUpdates.inc({ status: change.status });
        });
        return b.after(() => done());
      case InternalOp.PRESENCE_DISCONNECT:
        this.store.disconnect(b, conn, now, now);
        return b.after(() => done());
      case InternalOp.GATEWAY_HEARTBEAT:
        this.store.heartbeat(b, env.g, now);
        return b.after(() => done());
      case 'presence.set':
        this.store.choose(b, env.u, op.status, force, (change) => {
          publishPresence(out, { userId: env.u, status: change.status, lastSeenMs: now, rooms: change.rooms });
          this.metrics.presenceUpdates.inc({ status: change.status });
        });
        return b.after(() => {
          out.replyOk(env, op.ref);
          done();
        });
      case 'typing.start':
        if (!members.has(op)) {
          return b.after(() => {
            out.replyError(env, op.ref, { code: ErrorCode.FORBIDDEN, message: 'not a member of this room' });
            done(ErrorCode.FORBIDDEN);
          });
        }
        this.store.typingStart(b, env.u, op.roomId, now, force, (typers) => this.typingChanged(out, op.roomId, typers));
        return b.after(() => {
          out.replyOk(env, op.ref);
          done();
        });
      case 'typing.stop':
        this.store.typingStop(b, env.u, op.roomId, now, force, (typers) => this.typingChanged(out, op.roomId, typers));
        return b.after(() => {
          out.replyOk(env, op.ref);
          done();
        });
    }
  }

  /** A presence entry that fails on its own: its sender (if it asked) hears INTERNAL. */
  deadLettered(_stream: string, entry: StreamEntry): ChatEffects {
    return internalErrorReply(entry);
  }

  private typingChanged(out: ChatEffects, roomId: string, typers: string[]): void {
    publishTyping(out, roomId, typers);
    this.metrics.typingUpdates.inc();
  }
}
