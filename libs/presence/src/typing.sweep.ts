import { Outbox } from '@chat/streams';
import { PipelineBatch } from './pipeline.batch';
import { publishTyping } from './presence.events';
import { SWEEP_CHUNK, SWEEP_MAX_STEPS, SweepContext } from './sweep.context';

/**
 * Typers who stopped without typing.stop: a room comes due at its earliest expiry; its
 * expired typers are removed (atomically, so only a sweep that removed someone publishes),
 * the room learns who is left, and its next sweep time becomes the earliest remaining expiry.
 */
export class TypingSweep {
  constructor(private readonly ctx: SweepContext) {}

  async run(): Promise<void> {
    for (let step = 0; step < SWEEP_MAX_STEPS; step++) {
      const handled = await this.ctx.lock.run(() => this.step());
      if (handled < SWEEP_CHUNK) return;
    }
  }

  private async step(): Promise<number> {
    const { redis, store, metrics } = this.ctx;
    const now = Date.now();
    let due: string[] = [];
    const read = new PipelineBatch(redis);
    store.dueTypingRooms(read, now, SWEEP_CHUNK, (roomIds) => (due = roomIds));
    await read.exec();
    if (due.length === 0) return 0;

    const out = new Outbox();
    const reschedule = new PipelineBatch(redis);
    const expire = new PipelineBatch(redis);
    for (const roomId of due) {
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
    await out.flush(redis);
    return due.length;
  }
}
