import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Keys } from './keys';
import { LuaScript } from './lua-script';

const RENEW = new LuaScript(__dirname, 'lease-renew.lua');
const RELEASE = new LuaScript(__dirname, 'lease-release.lua');

/**
 * A time-bound claim on one shard (SET NX PX). While held, the holder is the only writer of
 * the shard's rooms. Guarantees: at most one holder at any instant as seen by Redis; each
 * acquisition gets its own token (`<holder>/<nonce>`), so renew, release and the fenced
 * commit of a batch succeed only for the acquisition that still holds the lease — not for
 * an earlier one of the same instance, nor after it expired and someone else took it.
 */
export class ShardLease {
  constructor(
    private readonly redis: Redis,
    private readonly holder: string,
    readonly ttlMs: number,
    /** Which key names a shard's lease: chat shards by default; other stream families bring their own. */
    readonly keyOf: (shard: number) => string = Keys.shardLease,
  ) {}

  /** The new token when the shard was free, else null. */
  async acquire(shard: number): Promise<string | null> {
    const token = `${this.holder}/${randomBytes(6).toString('hex')}`;
    return (await this.redis.set(this.keyOf(shard), token, 'PX', this.ttlMs, 'NX')) === 'OK' ? token : null;
  }

  async renew(shard: number, token: string): Promise<boolean> {
    return (await RENEW.run(this.redis, [this.keyOf(shard)], [token, this.ttlMs])) === 1;
  }

  async release(shard: number, token: string): Promise<boolean> {
    return (await RELEASE.run(this.redis, [this.keyOf(shard)], [token])) === 1;
  }

  /** The token of whoever holds the shard now (`<holder>/<nonce>`), or null. */
  async holderOf(shard: number): Promise<string | null> {
    return this.redis.get(this.keyOf(shard));
  }
}
