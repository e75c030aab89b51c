import Redis from 'ioredis';
import { Keys } from './keys';

// Compare-and-set scripts: only the holder may renew or release, so an instance that lost
// its lease (paused too long) can never extend or delete its successor's.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A time-bound claim on one shard (SET NX PX). While held, the holder is the only writer of
 * the shard's rooms. Guarantee: at most one holder at any instant as seen by Redis; a holder
 * that stops renewing loses the lease after `ttlMs`, and must stop work when renew fails.
 */
export class ShardLease {
  constructor(
    private readonly redis: Redis,
    private readonly holder: string,
    private readonly ttlMs: number,
    /** Which key names a shard's lease: chat shards by default; other stream families bring their own. */
    private readonly keyOf: (shard: number) => string = Keys.shardLease,
  ) {}

  async acquire(shard: number): Promise<boolean> {
    return (await this.redis.set(this.keyOf(shard), this.holder, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  async renew(shard: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.keyOf(shard), this.holder, this.ttlMs)) === 1;
  }

  async release(shard: number): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.keyOf(shard), this.holder)) === 1;
  }

  async holderOf(shard: number): Promise<string | null> {
    return this.redis.get(this.keyOf(shard));
  }
}
