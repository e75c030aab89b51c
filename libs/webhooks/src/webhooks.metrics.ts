import { Counter, Histogram, oncePerProcess } from '@chat/observability';

/** Metrics of the webhooks service. */
export const webhooksMetrics = oncePerProcess(() => ({
  queued: new Counter({
    name: 'chat_webhook_jobs_queued_total',
    help: 'Delivery jobs enqueued, one per (event, webhook); a re-enqueued duplicate id is counted but not run again',
  }),
  deliveries: new Counter({
    name: 'chat_webhook_deliveries_total',
    help: 'Delivery attempts by outcome: delivered, failed (retried), refused (not retried), skipped (webhook deleted or disabled before the attempt)',
    labelNames: ['outcome'],
  }),
  disabled: new Counter({
    name: 'chat_webhooks_disabled_total',
    help: 'Webhooks disabled after WEBHOOK_DISABLE_AFTER failed attempts in a row',
  }),
  requestSeconds: new Histogram({
    name: 'chat_webhook_request_seconds',
    help: 'One delivery attempt: from the request to the receiver answering (or failing)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  latency: new Histogram({
    name: 'chat_webhook_latency_seconds',
    help: 'From the change being committed to its receiver accepting it (retries included)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  }),
}));

export type WebhooksMetrics = ReturnType<typeof webhooksMetrics>;
