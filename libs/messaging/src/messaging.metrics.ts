import { Counter, Gauge, Histogram, LATENCY_BUCKETS, oncePerProcess } from '@chat/observability';

/** Prometheus metrics of the messages service, registered once per process. */
export class MessagingMetrics {
  static readonly get = oncePerProcess(() => new MessagingMetrics());

  readonly messagesStored = new Counter({ name: 'chat_messages_stored_total', help: 'Messages committed to PostgreSQL' });
  readonly opsProcessed = new Counter({
    name: 'chat_ops_processed_total',
    help: 'Stream entries processed, by op and outcome',
    labelNames: ['op', 'outcome'],
  });
  readonly batchSize = new Histogram({
    name: 'chat_send_batch_size',
    help: 'message.send entries committed per transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  });
  readonly batchSeconds = new Histogram({
    name: 'chat_batch_duration_seconds',
    help: 'Time to process one stream batch, read to XACK',
    buckets: LATENCY_BUCKETS,
  });
  readonly gatewayToAckSeconds = new Histogram({
    name: 'chat_gateway_to_publish_seconds',
    help: 'From the gateway receiving a frame to its effects being published',
    buckets: LATENCY_BUCKETS,
  });
  readonly ownedShards = new Gauge({ name: 'chat_owned_shards', help: 'Shards this instance holds the lease of' });
  readonly batchRetries = new Counter({ name: 'chat_batch_retries_total', help: 'Batches retried after a transient error' });

  private constructor() {}
}
