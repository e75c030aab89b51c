import { Config } from '@chat/config';
import { Logger, Readiness } from '@chat/observability';
import { EndpointPolicy, fullJitterBackoff } from '@chat/outbound-http';
import { createRedis, Groups, Queues } from '@chat/redis';
import { Database, WebhookRepository } from '@chat/store';
import { chatEventsServer, RedisStreamsServer } from '@chat/stream-transport';
import { ConsumedGroups, instanceId, watchStreamGroups } from '@chat/streams';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { WebhookDelivery } from './webhook-delivery';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WEBHOOK_BACKOFF, WebhookJobData } from './webhook-jobs';
import { WebhookSender } from './webhook-sender';
import { webhooksMetrics } from './webhooks.metrics';

/**
 * The webhooks service: follows `chat:events:{shard}` (consumer group `webhooks`, through the
 * Nest transport) and turns each event into BullMQ jobs, one per webhook of the room that
 * wants it; its worker delivers them. Replicas share the consumer group and the queue;
 * nothing needs a lease. The composition root; apps/webhooks wires it into Nest.
 */
export class WebhooksService {
  readonly instanceId = instanceId('webhooks');
  readonly dispatcher: WebhookDispatcher;
  private readonly connection: Redis;
  private readonly queue: Queue<WebhookJobData>;
  private readonly delivery: WebhookDelivery;
  private readonly sender: WebhookSender;
  private worker?: Worker<WebhookJobData>;
  private readonly metrics = webhooksMetrics();
  private unwatch = () => {};

  constructor(
    private readonly config: Config,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    const { webhooks } = config;
    // BullMQ blocks on its own duplicate of this connection; commands wait out a Redis restart.
    this.connection = createRedis(config.redis.url, `${this.instanceId}:queue`, {}, logger);
    this.queue = new Queue<WebhookJobData>(Queues.webhooks, { connection: this.connection, prefix: Queues.prefix });
    this.queue.on('error', (err) => logger.warn({ err: err.message }, 'webhooks queue error'));
    const repository = new WebhookRepository(db);
    this.dispatcher = new WebhookDispatcher(
      repository,
      this.queue,
      {
        attempts: webhooks.attempts,
        backoff: { type: WEBHOOK_BACKOFF },
        // Kept after completion so a duplicate event finds the id and enqueues nothing.
        removeOnComplete: { age: 3600, count: 100_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      },
      this.metrics,
    );
    this.sender = new WebhookSender(new EndpointPolicy(webhooks.allowPrivateEndpoints), webhooks.timeoutMs);
    this.delivery = new WebhookDelivery(repository, this.sender, { disableAfter: webhooks.disableAfter, logSize: webhooks.logSize }, this.metrics, logger);
  }

  /** The transport that feeds `@EventPattern` handlers from every shard's event stream. */
  transport(): RedisStreamsServer {
    return chatEventsServer({
      redisUrl: this.config.redis.url,
      shards: this.config.shards,
      group: Groups.webhooks,
      consumer: this.instanceId,
      claimIdleMs: this.config.webhooks.claimIdleMs,
      // Jobs carry the event's own time and id; receivers get no order guarantee (retries reorder anyway).
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
    const { webhooks } = this.config;
    this.unwatch = watchStreamGroups(this.connection, ConsumedGroups.webhooks(this.config.shards));
    this.worker = new Worker<WebhookJobData>(Queues.webhooks, (job) => this.delivery.process(job), {
      connection: this.connection,
      prefix: Queues.prefix,
      concurrency: webhooks.concurrency,
      lockDuration: webhooks.jobLockMs,
      stalledInterval: webhooks.jobLockMs,
      // A job whose instance died is run again (the receiver may see that attempt twice: it dedupes on the event id).
      maxStalledCount: 2,
      settings: { backoffStrategy: fullJitterBackoff(webhooks.backoffMs) },
    });
    this.worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) this.logger.warn({ job: job.id, err: err.message }, 'webhook delivery given up');
    });
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'webhooks worker error'));
    this.logger.info({ instance: this.instanceId, concurrency: webhooks.concurrency }, 'webhooks service started');
  }

  async stop(): Promise<void> {
    this.unwatch();
    await this.worker?.close();
    await this.queue.close();
    this.sender.close();
    this.connection.disconnect();
  }
}
