import { Queues } from '@chat/redis';
import { Job, Worker } from 'bullmq';
import Redis from 'ioredis';
import { fullJitterBackoff } from './retry-backoff';

export interface DeliveryWorkerOptions {
  connection: Redis;
  /** Jobs one instance runs at once: deliveries mostly wait on the remote end. */
  concurrency: number;
  /** How long a job is locked to its instance; a dead instance's job runs again after it. */
  lockMs: number;
  /** Base of the retry backoff (full jitter, exponential; never sooner than a Retry-After). */
  backoffMs: number;
}

/**
 * The BullMQ worker of an outbound delivery queue (Web Push, webhooks): jobs locked for
 * `lockMs`, a job whose instance died run again (at most twice: each queue's job ids and
 * per-target records keep that to one delivery, or say who must dedupe), retries spaced by
 * the full-jitter backoff.
 */
export function deliveryWorker<T>(queue: string, process: (job: Job<T>) => Promise<unknown>, options: DeliveryWorkerOptions): Worker<T> {
  return new Worker<T>(queue, process, {
    connection: options.connection,
    prefix: Queues.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.lockMs,
    maxStalledCount: 2,
    settings: { backoffStrategy: fullJitterBackoff(options.backoffMs) },
  });
}
