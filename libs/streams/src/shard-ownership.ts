import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { Keys, ShardLease } from '@chat/redis';
import { ShardFence } from './fence';

export interface OwnedShard {
  stop(): Promise<void>;
}

/** Where a new acquisition's epoch comes from (PostgreSQL for the messages service). */
export interface EpochSource {
  /** Increments and returns the shard's epoch; every later write with an older one is refused. */
  advance(shard: number): Promise<number>;
}

/** For services whose only writes are the fenced Redis commit (presence): no epoch. */
export const NO_EPOCHS: EpochSource = { advance: async () => 0 };

export interface ShardOwnershipOptions {
  shards: number;
  instanceId: string;
  leaseTtlMs: number;
  /** Zset of live instances competing for these shards (instance → last tick ms). */
  registryKey?: string;
}

/**
 * Decides which shards this instance works on. Every tick (a third of the lease TTL) it
 * renews all its leases at once, drops any lease it lost, hands back shards above its fair
 * share (shards ÷ live instances) and takes free shards up to that share. Renewals never wait
 * on anything slow: hand-backs run in the background (a worker's blocked read is woken), and
 * each acquisition's ShardFence carries a local deadline a margin before the lease could
 * expire, so a worker whose renewals stall stops by itself before anyone else may start.
 */
export class ShardOwnership {
  private readonly owned = new Map<number, { fence: ShardFence; worker: OwnedShard }>();
  /** Shards being handed back: not taken again until their worker has stopped. */
  private readonly handingBack = new Map<number, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly redis: Redis,
    private readonly lease: ShardLease,
    private readonly epochs: EpochSource,
    private readonly options: ShardOwnershipOptions,
    private readonly startShard: (fence: ShardFence, onFenced: (shard: number) => void) => OwnedShard,
    private readonly onLost: (shard: number) => void,
    private readonly metrics: { ownedShards: { set(n: number): void } },
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private get registryKey(): string {
    return this.options.registryKey ?? Keys.messagesInstances();
  }

  /** Margin before the lease's expiry at which a holder stops committing. */
  private get marginMs(): number {
    return Math.max(100, Math.floor(this.options.leaseTtlMs / 5));
  }

  get shards(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** First tick runs before this resolves, so a lone instance owns its shards at once. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.options.leaseTtlMs / 3)));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const shard of this.shards) this.handBack(shard);
    await Promise.all(this.handingBack.values());
    await this.redis.zrem(this.registryKey, this.options.instanceId).catch(() => undefined);
  }

  tick(): Promise<void> {
    if (this.ticking || this.stopping) return this.ticking ?? Promise.resolve();
    this.ticking = this.rebalance()
      .catch((err) => this.logger.warn({ err }, 'shard ownership tick failed'))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async rebalance(): Promise<void> {
    await this.renewAll();
    const { shards, instanceId, leaseTtlMs } = this.options;
    const now = this.now();
    const registry = this.registryKey;
    const [, , [, live]] = (await this.redis
      .multi()
      .zadd(registry, now, instanceId)
      .zremrangebyscore(registry, 0, now - 2 * leaseTtlMs)
      .zcard(registry)
      .exec()) as [unknown, unknown, [unknown, number]];
    const share = Math.ceil(shards / Math.max(1, live));

    for (const shard of this.shards.slice(share)) this.handBack(shard);
    for (const shard of shuffled(shards)) {
      if (this.owned.size >= share || this.stopping) break;
      if (this.owned.has(shard) || this.handingBack.has(shard)) continue;
      await this.acquire(shard);
    }
    this.metrics.ownedShards.set(this.owned.size);
  }

  /** All renewals in flight together; a refusal or a passed deadline drops the shard. */
  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.owned].map(async ([shard, { fence }]) => {
        const sentAt = this.now();
        const renewed = await this.lease.renew(shard, fence.token).catch(() => undefined);
        if (renewed) fence.renewed(sentAt);
        if (renewed === false || !fence.valid) this.lose(shard, renewed === false ? 'lease held by another owner' : 'lease not renewed in time');
      }),
    );
  }

  private async acquire(shard: number): Promise<void> {
    const sentAt = this.now();
    const token = await this.lease.acquire(shard);
    if (!token) return;
    let epoch: number;
    try {
      epoch = await this.epochs.advance(shard);
    } catch (err) {
      this.logger.warn({ err, shard }, 'could not advance the shard epoch; giving the lease back');
      await this.lease.release(shard, token).catch(() => undefined);
      return;
    }
    const fence = new ShardFence(shard, token, epoch, this.lease.keyOf(shard), this.options.leaseTtlMs, this.marginMs, sentAt, this.now);
    if (!fence.valid) return void this.lease.release(shard, token).catch(() => undefined);
    this.owned.set(shard, { fence, worker: this.startShard(fence, (s) => this.lose(s, 'fenced')) });
    this.logger.info({ shard, epoch }, 'shard acquired');
  }

  /** Lease gone (refused, expired, or fenced by a newer owner): stop at once; the new owner redoes what we did not ack. */
  private lose(shard: number, reason: string): void {
    const held = this.owned.get(shard);
    if (!held) return;
    this.owned.delete(shard);
    held.fence.revoke();
    this.onLost(shard);
    this.logger.warn({ shard, reason }, 'shard lease lost');
    this.metrics.ownedShards.set(this.owned.size);
    void held.worker.stop();
  }

  /** Graceful, in the background: finish and acknowledge the batch in hand, then free the lease. */
  private handBack(shard: number): void {
    const held = this.owned.get(shard);
    if (!held) return;
    this.owned.delete(shard);
    const done = (async () => {
      await held.worker.stop();
      held.fence.revoke();
      this.onLost(shard);
      await this.lease.release(shard, held.fence.token).catch(() => undefined);
      this.logger.info({ shard }, 'shard handed back');
    })().finally(() => this.handingBack.delete(shard));
    this.handingBack.set(shard, done);
  }
}

function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
