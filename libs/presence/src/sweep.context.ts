import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { PipelineBatch } from './pipeline.batch';
import { PresenceMetrics } from './presence.metrics';
import { PresenceStore } from './presence.store';
import { PublishOrderLock } from './publish-order.lock';

/** What every sweep works with; they share the processor's store and lock. */
export interface SweepContext {
  redis: Redis;
  store: PresenceStore;
  lock: PublishOrderLock;
  metrics: PresenceMetrics;
  logger: Logger;
  /** S: presence events go to rooms on channels named with their shard. */
  shards: number;
}

/** Items one sweep step handles in one turn: big enough to be cheap, small enough not to hold up batches. */
export const SWEEP_CHUNK = 500;
/** Steps per kind and tick; what is left waits for the next tick, so one tick stays short. */
export const SWEEP_MAX_STEPS = 20;

/**
 * Runs `step` up to SWEEP_MAX_STEPS times, each in its own publish-order turn, while it
 * reports that more may be left (what is still left then waits for the next tick).
 */
export async function runSweepSteps(lock: PublishOrderLock, step: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < SWEEP_MAX_STEPS; i++) {
    const more = await lock.run(step);
    if (!more) return;
  }
}

/** Queues the read of at most `limit` items due at `now`; `found` gets them once the batch ran. */
export type ReadDue = (read: PipelineBatch, now: number, limit: number, found: (ids: string[]) => void) => void;

/**
 * A sweep of items (users, rooms) that come due: each step reads up to SWEEP_CHUNK of them
 * and hands them to `handle`, in its own publish-order turn; a step that found less than a
 * full chunk is the last.
 */
export function sweepDue(ctx: SweepContext, readDue: ReadDue, handle: (due: string[], now: number) => Promise<void>): Promise<void> {
  return runSweepSteps(ctx.lock, async () => {
    const now = Date.now();
    let due: string[] = [];
    const read = new PipelineBatch(ctx.redis);
    readDue(read, now, SWEEP_CHUNK, (ids) => (due = ids));
    await read.exec();
    if (due.length > 0) await handle(due, now);
    return due.length >= SWEEP_CHUNK;
  });
}
