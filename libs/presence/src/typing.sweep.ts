import { ChatEffects, RedisBatchCommitter } from '@chat/streams';
import { PipelineBatch } from './pipeline.batch';
import { publishTyping } from './presence.events';
import { SweepContext, sweepDue } from './sweep.context';

/**
 * Typers who stopped without typing.stop: a room comes due at its earliest expiry; its
 * expired typers are removed (atomically, so only a sweep that removed someone publishes),
 * the room learns who is left, and its next sweep time becomes the earliest remaining expiry.
 */
export class TypingSweep {
  constructor(private readonly ctx: SweepContext) {}

  run(): Promise<void> {
    return sweepDue(
      this.ctx,
      (read, now, limit, found) => this.ctx.store.dueTypingRooms(read, now, limit, found),
      (roomIds, now) => this.expire(roomIds, now),
    );
  }

  private async expire(roomIds: string[], now: number): Promise<void> {
    const { redis, store, metrics } = this.ctx;
    const out = new ChatEffects({ shards: this.ctx.shards });
    const reschedule = new PipelineBatch(redis);
    const expire = new PipelineBatch(redis);
    for (const roomId of roomIds) {
      store.expireTyping(expire, roomId, now, ({ expired, nextExpiry, typers }) => {
        store.rescheduleTypingRoom(reschedule, roomId, now, nextExpiry);
        if (expired === 0) return;
        publishTyping(out, roomId, typers);
        metrics.typingUpdates.inc();
        metrics.swept.inc({ kind: 'typing' }, expired);
      });
    }
    await expire.exec();
    await reschedule.exec();
    await new RedisBatchCommitter(redis).commit({ effects: out.list });
  }
}
