import { Counter, Gauge, Histogram, LATENCY_BUCKETS, oncePerProcess } from '@chat/observability';

/**
 * Prometheus metrics of the presence service, registered once per process (the all-in-one
 * process runs it beside the messages service, so names carry `presence` to stay distinct).
 */
export class PresenceMetrics {
  static readonly get = oncePerProcess(() => new PresenceMetrics());

  readonly opsProcessed = new Counter({
    name: 'chat_presence_ops_total',
    help: 'presence:in entries processed, by op and outcome',
    labelNames: ['op', 'outcome'],
  });
  readonly presenceUpdates = new Counter({
    name: 'chat_presence_updates_total',
    help: 'presence.updated events published, by status',
    labelNames: ['status'],
  });
  readonly typingUpdates = new Counter({ name: 'chat_presence_typing_updates_total', help: 'typing.updated events published' });
  readonly swept = new Counter({
    name: 'chat_presence_swept_total',
    help: 'Sweep actions: users gone offline, dead gateways, connections of dead gateways, expired typers',
    labelNames: ['kind'],
  });
  readonly sweepSeconds = new Histogram({
    name: 'chat_presence_sweep_duration_seconds',
    help: 'Time of one sweep pass (offline deadlines, dead gateways, typing expiry)',
    buckets: LATENCY_BUCKETS,
  });
  readonly batchSeconds = new Histogram({
    name: 'chat_presence_batch_duration_seconds',
    help: 'Time to process one presence:in batch, read to XACK',
    buckets: LATENCY_BUCKETS,
  });
  readonly gatewayToAckSeconds = new Histogram({
    name: 'chat_presence_gateway_to_publish_seconds',
    help: 'From the gateway receiving a frame to its presence effects being published',
    buckets: LATENCY_BUCKETS,
  });
  readonly batchRetries = new Counter({ name: 'chat_presence_batch_retries_total', help: 'presence:in batches retried' });
  /** Named like ShardOwnership expects; 1 on the one instance that consumes presence:in and sweeps. */
  readonly ownedShards = new Gauge({ name: 'chat_presence_lease_held', help: '1 while this instance holds the presence lease' });

  private constructor() {}
}
