import type Redis from 'ioredis';
import { unavailableOnError } from './token-revocations';

/** One hit of a fixed-window counter: the count so far and when the window ends. */
export interface WindowHit {
  count: number;
  resetInMs: number;
}

// INCR, and start the window on the first hit (also repairs a key that lost its TTL).
const HIT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

// Takes one hit back; a count that reaches 0 leaves no key behind (nor a -1 after expiry).
const UNHIT = `
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n`;

/**
 * Fixed-window counters in Redis, one key each (no multi-key script: keys of different
 * clients may live on different Redis Cluster nodes).
 */
export class WindowCounter {
  constructor(private readonly redis: Redis) {}

  async hit(key: string, windowMs: number): Promise<WindowHit> {
    const [count, ttl] = (await unavailableOnError(this.redis.eval(HIT, 1, key, String(windowMs)))) as [number, number];
    return { count, resetInMs: ttl };
  }

  async unhit(key: string): Promise<void> {
    await unavailableOnError(this.redis.eval(UNHIT, 1, key));
  }

  async reset(key: string): Promise<void> {
    await unavailableOnError(this.redis.del(key));
  }
}
