import { Config } from '@chat/config';
import { Logger, Readiness } from '@chat/observability';
import { RedisPresenceReader } from '@chat/presence';
import { createRedis, Groups, Queues } from '@chat/redis';
import { Database } from '@chat/store';
import { chatEventsServer, RedisStreamsServer } from '@chat/stream-transport';
import { ConsumedGroups, instanceId, watchStreamGroups } from '@chat/streams';
import { EndpointPolicy, fullJitterBackoff } from '@chat/outbound-http';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { NotificationRecipients } from './notification-recipients';
import { PushDelivery } from './push-delivery';
import { PUSH_BACKOFF, PushJobData } from './push-jobs';
import { PushNotifier } from './push-notifier';
import { PushSubscriptions } from './push-subscriptions';
import { pushMetrics } from './push.metrics';
import { vapidKeysOf } from './vapid-keys';
import { WebPushSender } from './web-push-sender';

/**
 * The push service: follows `chat:events:{shard}` (consumer group `push`, through the Nest
 * transport) and turns each new message into BullMQ jobs, one per member to notify; its
 * worker sends them by Web Push. Replicas share the consumer group and the queue; nothing
 * needs a lease. The composition root; apps/push wires it into Nest.
 */
export class PushService {
  readonly instanceId = instanceId('push');
  readonly notifier: PushNotifier;
  private readonly connection: Redis;
  private readonly queue: Queue<PushJobData>;
  private readonly delivery: PushDelivery;
  private readonly sender: WebPushSender;
  private worker?: Worker<PushJobData>;
  private readonly metrics = pushMetrics();
  private unwatch = () => {};

  constructor(
    private readonly config: Config,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    const { push } = config;
    // BullMQ blocks on its own duplicate of this connection; commands wait out a Redis restart.
    this.connection = createRedis(config.redis.url, `${this.instanceId}:queue`, {}, logger);
    this.queue = new Queue<PushJobData>(Queues.push, { connection: this.connection, prefix: Queues.prefix });
    this.queue.on('error', (err) => logger.warn({ err: err.message }, 'push queue error'));
    const subscriptions = new PushSubscriptions(db, push.maxSubscriptionsPerUser);
    const recipients = new NotificationRecipients(db, new RedisPresenceReader(this.connection));
    this.notifier = new PushNotifier(
      recipients,
      this.queue,
      {
        attempts: push.attempts,
        backoff: { type: PUSH_BACKOFF },
        // Kept after completion so a duplicate event finds the id and enqueues nothing.
        removeOnComplete: { age: 3600, count: 100_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      },
      push.ttlSeconds,
      this.metrics,
    );
    this.sender = new WebPushSender(vapidKeysOf(push), new EndpointPolicy(push.allowPrivateEndpoints), {
      subject: push.vapidSubject,
      ttlSeconds: push.ttlSeconds,
      timeoutMs: push.timeoutMs,
    });
    this.delivery = new PushDelivery(subscriptions, this.sender, this.metrics, logger);
  }

  /** The transport that feeds `@EventPattern` handlers from every shard's event stream. */
  transport(): RedisStreamsServer {
    return chatEventsServer({
      redisUrl: this.config.redis.url,
      shards: this.config.shards,
      group: Groups.push,
      consumer: this.instanceId,
      claimIdleMs: this.config.push.claimIdleMs,
      // Notifications need no order between messages: a batch's events are handled at once.
      ordered: false,
      logger: this.logger,
    });
  }

  readiness(readiness: Readiness): Readiness {
    return readiness
      .add('redis', async () => (await this.connection.ping()) === 'PONG')
      .add('database', async () => (await this.db.query('SELECT 1')).length === 1);
  }

  async start(): Promise<void> {
    const { push } = this.config;
    this.unwatch = watchStreamGroups(this.connection, ConsumedGroups.push(this.config.shards));
    this.worker = new Worker<PushJobData>(Queues.push, (job) => this.delivery.process(job), {
      connection: this.connection,
      prefix: Queues.prefix,
      concurrency: push.concurrency,
      lockDuration: push.jobLockMs,
      stalledInterval: push.jobLockMs,
      // A job whose instance died is run again (at most twice): the ids make it one job, the
      // per-endpoint record and the Topic header keep it to one notification per browser.
      maxStalledCount: 2,
      settings: { backoffStrategy: fullJitterBackoff(push.backoffMs) },
    });
    this.worker.on('completed', () => this.metrics.sent.inc());
    this.worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.metrics.failed.inc({ final: final ? 'exhausted' : 'retry' });
      if (final) this.logger.warn({ job: job?.id, err: err.message }, 'push job failed for good');
    });
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'push worker error'));
    this.logger.info({ instance: this.instanceId, concurrency: push.concurrency }, 'push service started');
  }

  async stop(): Promise<void> {
    this.unwatch();
    await this.worker?.close();
    await this.queue.close();
    this.sender.close();
    this.connection.disconnect();
  }
}
