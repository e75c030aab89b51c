import { RetryLater } from '@chat/outbound-http';
import { Logger } from '@chat/observability';
import type { AttemptPolicy, WebhookRepository } from '@chat/store';
import { Job, UnrecoverableError } from 'bullmq';
import { WebhookJobData } from './webhook-jobs';
import { WebhookSender } from './webhook-sender';
import { WebhooksMetrics } from './webhooks.metrics';

/**
 * Runs one delivery job: the event to the webhook, signed; every attempt goes to the
 * webhook's log with its outcome, and moves its failure count.
 * - delivered: done.
 * - failed (408/429/5xx/network): RetryLater, so BullMQ tries again with full-jitter backoff
 *   (not before Retry-After) until WEBHOOK_ATTEMPTS ran out;
 * - refused (another status, an address the policy refuses): given up at once;
 * - the attempt that disabled the webhook, and any job of a webhook deleted or disabled
 *   since it was enqueued: given up (a re-enabled webhook gets new events, not old ones).
 */
export class WebhookDelivery {
  constructor(
    private readonly webhooks: Pick<WebhookRepository, 'target' | 'recordAttempt'>,
    private readonly sender: Pick<WebhookSender, 'send'>,
    private readonly policy: AttemptPolicy,
    private readonly metrics: WebhooksMetrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async process(job: Job<WebhookJobData>): Promise<void> {
    const { webhookId, event } = job.data;
    const target = await this.webhooks.target(webhookId);
    if (!target?.enabled) {
      this.metrics.deliveries.inc({ outcome: 'skipped' });
      return;
    }
    const attempt = job.attemptsMade + 1;
    const started = this.now();
    const result = await this.sender.send(target, event, attempt);
    const durationMs = this.now() - started;
    this.metrics.requestSeconds.observe(durationMs / 1000);
    this.metrics.deliveries.inc({ outcome: result.outcome });
    const { retryAfterMs, ...logged } = result;
    const { disabled } = await this.webhooks.recordAttempt({ webhookId, eventId: event.id, eventType: event.type, attempt, durationMs, ...logged }, this.policy);
    if (result.outcome === 'delivered') {
      this.metrics.latency.observe((this.now() - Date.parse(event.timestamp)) / 1000);
      return;
    }
    if (disabled) {
      this.metrics.disabled.inc();
      this.logger.warn({ webhookId, error: result.error }, 'webhook disabled after repeated failures');
      throw new UnrecoverableError(`webhook ${webhookId} disabled: ${result.error}`);
    }
    if (result.outcome === 'refused') throw new UnrecoverableError(result.error ?? 'refused');
    throw new RetryLater(result.error ?? 'failed', retryAfterMs);
  }
}
