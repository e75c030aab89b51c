import { WebhookEvent } from './webhook-event';

/** One event to one webhook: a job of the webhooks queue. */
export interface WebhookJobData {
  webhookId: string;
  event: WebhookEvent;
}

/** The BullMQ job name of a delivery. */
export const DELIVERY_JOB = 'delivery';

/** The backoff type of webhook jobs (computed by fullJitterBackoff of libs/outbound-http). */
export const WEBHOOK_BACKOFF = 'webhook';

/**
 * The job id of (event, webhook). Deterministic, so an event handled twice (redelivered, or
 * re-emitted by a retried batch) enqueues once: BullMQ ignores an add whose id exists.
 */
export function webhookJobId(webhookId: string, eventId: string): string {
  return `${webhookId}/${eventId}`;
}
