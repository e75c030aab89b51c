import type Redis from 'ioredis';
import { Keys, pipelineAcrossSlots } from '@chat/redis';

export interface ShardOwner {
  shard: number;
  /** The instance holding the lease (`msg-<host>-<pid>-<rand>`), or null: nobody (failover in progress, or no instance). */
  owner: string | null;
  /** How long the lease lasts without renewal (ms); null when nobody holds it. */
  ttlMs: number | null;
}

/** Who owns each shard now, read from the leases `chat:lease:{shard}` in one round trip. */
export async function readShardOwners(redis: Redis, shards: number): Promise<ShardOwner[]> {
  const pipeline = pipelineAcrossSlots(redis);
  for (let shard = 0; shard < shards; shard++) pipeline.get(Keys.shardLease(shard)).pttl(Keys.shardLease(shard));
  const replies = (await pipeline.exec()) ?? [];
  return Array.from({ length: shards }, (_, shard) => {
    const token = replies[2 * shard]?.[1] as string | null;
    const ttl = Number(replies[2 * shard + 1]?.[1]);
    // A lease token is `<holder>/<nonce>` (ShardLease): the holder is the instance.
    return token ? { shard, owner: token.slice(0, token.lastIndexOf('/')), ttlMs: ttl >= 0 ? ttl : null } : { shard, owner: null, ttlMs: null };
  });
}
