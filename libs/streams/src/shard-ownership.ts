import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { Keys, ShardLease } from '@chat/redis';

export interface OwnedShard {
  stop(): Promise<void>;
}

export interface ShardOwnershipOptions {
  shards: number;
  instanceId: string;
  leaseTtlMs: number;
  /** Zset of live instances competing for these shards (instance → last tick ms). */
  registryKey?: string;
}

/**
 * Decides which shards this instance works on. Every tick (a third of the lease
 * TTL) it renews its leases, stops the worker of any lease it lost, hands back shards above
 * its fair share (shards ÷ live instances, so a new replica gets work without a restart),
 * and takes free shards up to that share. A dead instance's shards are free once its
 * leases expire; their pending entries are then claimed by the new owner's worker.
 */
export class ShardOwnership {
  private readonly owned = new Map<number, OwnedShard>();
  /** When each owned lease was last renewed (or taken): past a TTL without one, it is gone. */
  private readonly renewedAt = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly redis: Redis,
    private readonly lease: ShardLease,
    private readonly options: ShardOwnershipOptions,
    private readonly startShard: (shard: number) => OwnedShard,
    private readonly onLost: (shard: number) => void,
    private readonly metrics: { ownedShards: { set(n: number): void } },
    private readonly logger: Logger,
  ) {}

  private get registryKey(): string {
    return this.options.registryKey ?? Keys.messagesInstances();
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
    await Promise.all(this.shards.map((s) => this.handBack(s)));
    await this.redis.zrem(this.registryKey, this.options.instanceId).catch(() => undefined);
  }

  private tick(): Promise<void> {
    if (this.ticking || this.stopping) return this.ticking ?? Promise.resolve();
    this.ticking = this.rebalance()
      .catch((err) => this.logger.warn({ err }, 'shard ownership tick failed'))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async rebalance(): Promise<void> {
    const { shards, instanceId, leaseTtlMs } = this.options;
    for (const shard of this.shards) {
      const renewed = await this.lease.renew(shard).catch(() => undefined);
      if (renewed) this.renewedAt.set(shard, Date.now());
      // Refused: someone else holds it. Unanswered for a whole TTL: it has expired by now.
      else if (renewed === false || Date.now() - (this.renewedAt.get(shard) ?? 0) >= leaseTtlMs) this.lose(shard);
    }
    const now = Date.now();
    const registry = this.registryKey;
    await this.redis.zadd(registry, now, instanceId);
    await this.redis.zremrangebyscore(registry, 0, now - 2 * leaseTtlMs);
    const live = Math.max(1, await this.redis.zcard(registry));
    const share = Math.ceil(shards / live);

    for (const shard of this.shards.slice(share)) await this.handBack(shard);
    if (this.owned.size < share) {
      for (const shard of shuffled(shards)) {
        if (this.owned.size >= share || this.stopping) break;
        if (this.owned.has(shard) || !(await this.lease.acquire(shard))) continue;
        this.renewedAt.set(shard, Date.now());
        this.owned.set(shard, this.startShard(shard));
        this.logger.info({ shard }, 'shard acquired');
      }
    }
    this.metrics.ownedShards.set(this.owned.size);
  }

  /** Lease gone (expired under us): stop at once, the new owner redoes what we did not ack. */
  private lose(shard: number): void {
    const worker = this.owned.get(shard);
    this.owned.delete(shard);
    this.onLost(shard);
    this.logger.warn({ shard }, 'shard lease lost');
    void worker?.stop();
  }

  /** Graceful: finish and acknowledge the batch in hand, then free the lease. */
  private async handBack(shard: number): Promise<void> {
    const worker = this.owned.get(shard);
    if (!worker) return;
    this.owned.delete(shard);
    await worker.stop();
    this.onLost(shard);
    await this.lease.release(shard).catch(() => undefined);
    this.logger.info({ shard }, 'shard handed back');
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
