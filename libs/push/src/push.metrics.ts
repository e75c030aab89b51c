import { Counter, Histogram, oncePerProcess } from '@chat/observability';

/** Metrics of the push service. */
export const pushMetrics = oncePerProcess(() => ({
  queued: new Counter({
    name: 'chat_push_jobs_queued_total',
    help: 'Notification jobs enqueued, one per (message, user); a re-enqueued duplicate id is counted but not run again',
  }),
  sent: new Counter({
    name: 'chat_push_jobs_sent_total',
    help: 'Notification jobs finished with every subscription of the user reached (or none left)',
  }),
  failed: new Counter({
    name: 'chat_push_jobs_failed_total',
    help: 'Notification job tries that failed, by whether they will be retried (retry) or not (exhausted)',
    labelNames: ['final'],
  }),
  deliveries: new Counter({
    name: 'chat_push_deliveries_total',
    help: 'Pushes to one endpoint, by outcome (delivered, gone, retry, rejected)',
    labelNames: ['outcome'],
  }),
  pruned: new Counter({
    name: 'chat_push_subscriptions_pruned_total',
    help: 'Subscriptions deleted because their push service answered 404 or 410',
  }),
  skipped: new Counter({
    name: 'chat_push_messages_skipped_total',
    help: 'New messages not notified because they were older than PUSH_TTL_SECONDS when their event was read (a backlog after an outage)',
  }),
  latency: new Histogram({
    name: 'chat_push_latency_seconds',
    help: 'From a message being stored to a push service accepting its notification',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  }),
}));

export type PushMetrics = ReturnType<typeof pushMetrics>;
