import Redis from 'ioredis';
import { Keys } from '@chat/redis';

// One round trip: count the frame (and the send) in fixed windows shared by every gateway;
// answer how long until the window that is over its limit ends, or 0.
const HIT = `
local function hit(key, limit, window)
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window) end
  if n > tonumber(limit) then
    local ttl = redis.call('PTTL', key)
    if ttl > 0 then return ttl end
    return tonumber(window)
  end
  return 0
end
local wait = hit(KEYS[1], ARGV[1], ARGV[3])
if wait == 0 and #KEYS > 1 then wait = hit(KEYS[2], ARGV[2], ARGV[3]) end
return wait`;

export interface UserRates {
  windowMs: number;
  /** Frames (of any op) and sends allowed per window. */
  frames: number;
  sends: number;
}

/** Per-user limits across all gateways (a user with many sockets, or on many gateways). */
export class UserRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly rates: UserRates,
  ) {
    redis.defineCommand('chatRateHit', { lua: HIT });
  }

  /** 0 when allowed, else the ms until the user may send again. */
  async take(userId: string, isSend: boolean): Promise<number> {
    const keys = isSend ? [Keys.rateFrames(userId), Keys.rateSends(userId)] : [Keys.rateFrames(userId)];
    const hit = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<number>>).chatRateHit;
    return Number(
      await hit.call(this.redis, keys.length, ...keys, this.rates.frames, this.rates.sends, this.rates.windowMs),
    );
  }
}
