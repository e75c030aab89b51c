import { Outbox } from '@chat/streams';
import { PipelineBatch } from './pipeline.batch';
import { publishPresence } from './presence.events';
import { SWEEP_CHUNK, SWEEP_MAX_STEPS, SweepContext } from './sweep.context';

/**
 * Users whose offline deadline passed: the ones with no connection back go offline and
 * everyone in their rooms hears it. Whether to publish is decided by the atomic
 * check-and-DEL of their status (exactly one sweeper can see it return 1); the deadline is
 * then removed unless a later disconnect re-armed it.
 */
export class OfflineSweep {
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
    store.dueOfflineDeadlines(read, now, SWEEP_CHUNK, (userIds) => (due = userIds));
    await read.exec();
    if (due.length === 0) return 0;

    const out = new Outbox();
    const write = new PipelineBatch(redis);
    for (const userId of due) {
      store.goOffline(write, userId, ({ lastSeenMs, rooms }) => {
        publishPresence(out, { userId, status: 'offline', lastSeenMs: lastSeenMs ?? now, rooms });
        metrics.presenceUpdates.inc({ status: 'offline' });
        metrics.swept.inc({ kind: 'offline' });
      });
      store.clearOfflineDeadline(write, userId, now);
    }
    await write.exec();
    await out.flush(redis);
    return due.length;
  }
}
