import Redis from 'ioredis';
import { Config } from '@chat/config';
import { Logger, Readiness } from '@chat/observability';
import { createRedis, Groups, Keys, ShardLease } from '@chat/redis';
import { ConsumedGroups, NO_EPOCHS, OwnedShard, ShardFence, ShardOwnership, StreamWorkers, instanceId, watchStreamGroups } from '@chat/streams';
import { PresenceMetrics } from './presence.metrics';
import { PresenceProcessor } from './presence.processor';
import { definePresenceScripts } from './presence.scripts';
import { PresenceStore } from './presence.store';
import { PresenceSweeper } from './presence.sweeper';
import { PublishOrderLock } from './publish-order.lock';
import { SweepContext } from './sweep.context';

/** How often the lease holder sweeps deadlines, dead gateways and typing expiries. */
const SWEEP_INTERVAL_MS = 500;

/**
 * The presence service: connections, statuses, typing, dead-gateway sweep. This is the
 * composition root; the Nest app only starts and stops it. Replicas compete for one lease
 * (the same ShardOwnership as the messages service, over one shard); the holder consumes
 * `presence:in` and runs the sweeps, the others stand by and take over when its lease ends.
 */
export class PresenceService {
  readonly instanceId = instanceId('presence');
  /** Lease ticks, and the processor's and sweeps' commands (none of them blocks). */
  private readonly control: Redis;
  private readonly ownership: ShardOwnership;
  private readonly processor: PresenceProcessor;
  private readonly sweepContext: SweepContext;
  private readonly workers: StreamWorkers;
  private stopping?: Promise<void>;
  private unwatch = () => {};

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    const metrics = PresenceMetrics.get();
    this.control = createRedis(config.redis.url, `${this.instanceId}:control`, {}, logger);
    this.workers = new StreamWorkers(config.redis.url, this.instanceId, { batchSize: config.messages.batchSize, blockMs: 1000 }, metrics, logger);
    definePresenceScripts(this.control);

    const store = new PresenceStore(config.presence);
    const lock = new PublishOrderLock();
    this.processor = new PresenceProcessor(this.control, store, lock, metrics, logger, config.shards);
    this.sweepContext = { redis: this.control, store, lock, metrics, logger, shards: config.shards };

    const ttl = config.presence.leaseTtlMs;
    this.ownership = new ShardOwnership(
      this.control,
      new ShardLease(this.control, this.instanceId, ttl, Keys.presenceLease),
      NO_EPOCHS,
      // `presence:in` is one stream, so one "shard": one consumer and one sweeper in the cluster.
      { shards: 1, instanceId: this.instanceId, leaseTtlMs: ttl, registryKey: Keys.presenceInstances() },
      (fence, onFenced) => this.startShard(fence, onFenced),
      () => undefined, // nothing cached in memory: the state lives in Redis
      metrics,
      logger,
    );
  }

  /** Whether this instance holds the lease (consumes `presence:in` and sweeps). */
  get active(): boolean {
    return this.ownership.shards.length > 0;
  }

  readiness(readiness: Readiness): Readiness {
    return readiness.add('redis', async () => (await this.control.ping()) === 'PONG');
  }

  async start(): Promise<void> {
    this.unwatch = watchStreamGroups(this.control, ConsumedGroups.presence());
    await this.ownership.start();
    this.logger.info({ instance: this.instanceId, active: this.active }, 'presence service started');
  }

  /** Hands the lease back (after the batch in hand is published) and closes. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unwatch();
      await this.ownership.stop();
      this.workers.closeAll();
      this.control.disconnect();
    })();
    return this.stopping;
  }

  /** Runs while the lease is held: the stream worker (own connection: it blocks) and the sweeps. */
  private startShard(fence: ShardFence, onFenced: (shard: number) => void): OwnedShard {
    const worker = this.workers.start({ fence, stream: Keys.presenceIn(), group: Groups.presence, handler: this.processor, onFenced });
    const sweeper = new PresenceSweeper(this.sweepContext, this.config.presence, SWEEP_INTERVAL_MS);
    sweeper.start();
    return { stop: () => Promise.all([sweeper.stop(), worker.stop()]).then(() => undefined) };
  }
}
