import Redis from 'ioredis';
import { RateCount, RateIncrement, RateLimitStore } from './rate-limit-store';

/** INCRBY + PEXPIRE NX + PTTL per key, all keys in one pipeline (one round trip). */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly redis: Redis) {}

  async add(increments: RateIncrement[], windowMs: number): Promise<RateCount[]> {
    if (increments.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { key, by } of increments) pipeline.incrby(key, by).pexpire(key, windowMs, 'NX').pttl(key);
    const results = (await pipeline.exec()) ?? [];
    const counts: RateCount[] = [];
    for (let i = 0; i < increments.length; i++) {
      const [[incrErr, total], , [, ttl]] = results.slice(i * 3, i * 3 + 3) as [Error | null, number][];
      if (incrErr) throw incrErr;
      counts.push({ total: Number(total), resetInMs: Number(ttl) > 0 ? Number(ttl) : windowMs });
    }
    return counts;
  }
}
