import { createHash } from 'node:crypto';
import { Logger } from '@chat/observability';
import { Job } from 'bullmq';
import { RetryLater } from '@chat/outbound-http';
import { PushJobData } from './push-jobs';
import { PushSubscriptions } from './push-subscriptions';
import { PushMetrics } from './push.metrics';
import { PushOutcome, WebPushSender } from './web-push-sender';

/**
 * Runs one push job: the notification to every subscription of the user, at once.
 * - delivered: remembered on the job, so a retry does not push to that browser twice;
 * - gone (404/410): the subscription is deleted at once and never tried again;
 * - rejected (another 4xx, or an endpoint the policy now refuses): given up for that endpoint;
 * - retry (429, 5xx, network): the job fails with RetryLater (honouring Retry-After) and
 *   BullMQ tries again with backoff, for the endpoints still owed.
 */
export class PushDelivery {
  constructor(
    private readonly subscriptions: PushSubscriptions,
    private readonly sender: WebPushSender,
    private readonly metrics: PushMetrics,
    private readonly logger: Logger,
  ) {}

  async process(job: Job<PushJobData>): Promise<void> {
    const { userId, notification, createdAtMs } = job.data;
    const delivered = new Set(job.data.delivered ?? []);
    const owed = (await this.subscriptions.of(userId)).filter((t) => !delivered.has(t.endpoint));
    const payload = JSON.stringify(notification);
    const topic = topicOf(notification.messageId);
    const outcomes = await Promise.all(owed.map(async (target) => ({ target, outcome: await this.sender.send(target, payload, topic) })));

    const retries: Extract<PushOutcome, { kind: 'retry' }>[] = [];
    for (const { target, outcome } of outcomes) {
      this.metrics.deliveries.inc({ outcome: outcome.kind });
      if (outcome.kind === 'delivered') {
        delivered.add(target.endpoint);
        this.metrics.latency.observe((Date.now() - createdAtMs) / 1000);
      } else if (outcome.kind === 'gone') {
        await this.subscriptions.prune(target.endpoint);
        this.metrics.pruned.inc();
      } else if (outcome.kind === 'rejected') {
        this.logger.warn({ userId, endpoint: origin(target.endpoint), reason: outcome.reason }, 'push refused: not retried');
      } else {
        retries.push(outcome);
      }
    }
    if (retries.length === 0) return;
    await job.updateData({ ...job.data, delivered: [...delivered] });
    const waits = retries.map((r) => r.retryAfterMs ?? 0);
    throw new RetryLater(retries.map((r) => r.reason).join('; '), Math.max(...waits) || undefined);
  }
}

/**
 * The Topic header (RFC 8030 §5.4: ≤ 32 base64url characters): a push service holding an
 * undelivered notification replaces it with a new one of the same topic, so the one place a
 * duplicate cannot be ruled out (a push instance killed between the push service's answer and
 * the job's completion) still shows the device one notification.
 */
function topicOf(messageId: string): string {
  return createHash('sha256').update(messageId).digest('base64url').slice(0, 32);
}

/** An endpoint's origin, for logs: the path is a capability and stays out of them. */
function origin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return '(invalid)';
  }
}
