import { Config } from '@chat/config';
import { BatchProcessor, MessagingMetrics } from '@chat/messaging';
import { Logger, Readiness } from '@chat/observability';
import { createRedis, Groups, Keys } from '@chat/redis';
import { Database } from '@chat/store';
import { chatEventsServer, RedisStreamsServer } from '@chat/stream-transport';
import { ConsumedGroups, GroupReader, instanceId, watchStreamGroups } from '@chat/streams';
import Redis from 'ioredis';
import { CoalescingIndexWriter } from './coalescing-index-writer';
import { SearchIndex } from './search-index';
import { SearchOpHandler } from './search-op.handler';
import { SearchQueries } from './search-queries';

/**
 * The search service: keeps the index in step with `chat:events:{shard}` (through the Nest
 * transport, consumer group `search`) and answers `search` ops from `chat:search` (consumer
 * group `search-queries`). Replicas share both groups; nothing here needs a lease: applying
 * an event is idempotent, and queries need no order. The composition root; apps/search wires
 * it into Nest.
 */
export class SearchService {
  readonly instanceId = instanceId('search');
  readonly index: SearchIndex;
  /** What the event handlers write through: one transaction per batch of events. */
  readonly writer: CoalescingIndexWriter;
  readonly queries: SearchQueries;
  private readonly control: Redis;
  private unwatch = () => {};
  private readonly requests: GroupReader;

  constructor(
    private readonly config: Config,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    this.index = new SearchIndex(db);
    this.writer = new CoalescingIndexWriter(this.index);
    this.queries = new SearchQueries(db);
    this.control = createRedis(config.redis.url, `${this.instanceId}:control`, {}, logger);
    const table = new Map([['search', { handler: new SearchOpHandler(this.queries), writes: false }]]);
    const noWrites = () => Promise.reject(new Error('the search service writes nothing through the shard path'));
    const processor = new BatchProcessor(table, undefined, noWrites, () => undefined, MessagingMetrics.get(), logger, { shards: config.shards, eventsMaxLen: config.events.maxLen });
    this.requests = new GroupReader(
      config.redis.url,
      this.instanceId,
      Keys.searchIn(),
      Groups.searchQueries,
      processor,
      { batchSize: 32, blockMs: 1000, claimIdleMs: config.search.claimIdleMs, maxLen: 100_000 },
      logger,
    );
  }

  /** The transport that feeds `@EventPattern` handlers from every shard's event stream. */
  transport(): RedisStreamsServer {
    return chatEventsServer({
      redisUrl: this.config.redis.url,
      shards: this.config.shards,
      group: Groups.search,
      consumer: this.instanceId,
      claimIdleMs: this.config.search.claimIdleMs,
      // The index applies events in any order (versions and tombstones decide): batches go
      // to the handlers at once and are written in one transaction (CoalescingIndexWriter).
      ordered: false,
      logger: this.logger,
    });
  }

  readiness(readiness: Readiness): Readiness {
    return readiness
      .add('redis', async () => (await this.control.ping()) === 'PONG')
      .add('database', async () => (await this.db.query('SELECT 1')).length === 1);
  }

  async start(): Promise<void> {
    this.unwatch = watchStreamGroups(this.control, ConsumedGroups.search(this.config.shards));
    this.requests.start();
    this.logger.info({ instance: this.instanceId }, 'search service started');
  }

  async stop(): Promise<void> {
    this.unwatch();
    await this.requests.stop();
    this.control.disconnect();
  }
}
