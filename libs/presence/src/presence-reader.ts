import Redis from 'ioredis';
import { PresenceStatus } from '@chat/protocol';
import { isCluster, Keys } from '@chat/redis';

/** Reads users' presence for member lists. The presence service writes the keys. */
export interface PresenceReader {
  statuses(userIds: string[]): Promise<Map<string, PresenceStatus>>;
}

export class RedisPresenceReader implements PresenceReader {
  constructor(private readonly redis: Redis) {}

  async statuses(userIds: string[]): Promise<Map<string, PresenceStatus>> {
    const result = new Map<string, PresenceStatus>();
    if (userIds.length === 0) return result;
    const keys = userIds.map(Keys.presence);
    // Each user's key has its own slot: a cluster refuses MGET across them, so one GET each.
    const values = isCluster(this.redis) ? await Promise.all(keys.map((key) => this.redis.get(key))) : await this.redis.mget(keys);
    userIds.forEach((id, i) => result.set(id, (PresenceStatus.safeParse(values[i]).data ?? 'offline') as PresenceStatus));
    return result;
  }
}
