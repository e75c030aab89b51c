import type { WebhookRepository } from '@chat/store';
import type { JobsOptions, Queue } from 'bullmq';
import { WebhookEvent } from './webhook-event';
import { DELIVERY_JOB, WebhookJobData, webhookJobId } from './webhook-jobs';
import type { WebhooksMetrics } from './webhooks.metrics';

/**
 * Event → jobs: one job per enabled webhook of the event's room that wants its type, with
 * a deterministic id, added before the event is acknowledged — so an event handled twice
 * enqueues once, and an event is never acknowledged without its jobs.
 */
export class WebhookDispatcher {
  constructor(
    private readonly webhooks: Pick<WebhookRepository, 'wanting'>,
    private readonly queue: Pick<Queue<WebhookJobData>, 'addBulk'>,
    private readonly jobOptions: JobsOptions,
    private readonly metrics: Pick<WebhooksMetrics, 'queued'>,
  ) {}

  async dispatch(event: WebhookEvent): Promise<void> {
    const ids = await this.webhooks.wanting(event.roomId, event.type);
    if (ids.length === 0) return;
    await this.queue.addBulk(
      ids.map((webhookId) => ({ name: DELIVERY_JOB, data: { webhookId, event }, opts: { ...this.jobOptions, jobId: webhookJobId(webhookId, event.id) } })),
    );
    this.metrics.queued.inc(ids.length);
  }
}
