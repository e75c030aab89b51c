import { ChatEffects, RedisBatchCommitter } from '@chat/streams';
import { PipelineBatch } from './pipeline.batch';
import { publishPresence } from './presence.events';
import { SweepContext, sweepDue } from './sweep.context';

/**
 * Users whose offline deadline passed: the ones with no connection back go offline and
 * everyone in their rooms hears it. Whether to publish is decided by the atomic
 * check-and-DEL of their status (exactly one sweeper can see it return 1); the deadline is
 * then removed unless a later disconnect re-armed it.
 */
export class OfflineSweep {
  constructor(private readonly ctx: SweepContext) {}

  run(): Promise<void> {
    return sweepDue(
      this.ctx,
      (read, now, limit, found) => this.ctx.store.dueOfflineDeadlines(read, now, limit, found),
      (userIds, now) => this.goOffline(userIds, now),
    );
  }

  private async goOffline(userIds: string[], now: number): Promise<void> {
    const { redis, store, metrics } = this.ctx;
    const out = new ChatEffects({ shards: this.ctx.shards });
    const write = new PipelineBatch(redis);
    for (const userId of userIds) {
      store.goOffline(write, userId, ({ lastSeenMs, rooms }) => {
        publishPresence(out, { userId, status: 'offline', lastSeenMs: lastSeenMs ?? now, rooms });
        metrics.presenceUpdates.inc({ status: 'offline' });
        metrics.swept.inc({ kind: 'offline' });
      });
      store.clearOfflineDeadline(write, userId, now);
    }
    await write.exec();
    await new RedisBatchCommitter(redis).commit({ effects: out.list });
  }
}
