/**
 * Every Redis key, stream, consumer group and channel name of the system. Nothing else
 * builds one. Names that belong to one shard carry the shard in a hash tag (`{3}`), so on
 * Redis Cluster a shard's stream and lease live on one node.
 */
export const Keys = {
  /** Inbound client ops of one shard, consumed by the messages service. */
  inStream: (shard: number) => `chat:in:{${shard}}`,
  /** Lease naming the messages instance that owns a shard. */
  shardLease: (shard: number) => `chat:lease:{${shard}}`,
  /** Live messages instances (zset: instance id → last heartbeat ms), to share shards fairly. */
  messagesInstances: () => 'chat:messages:instances',
  /** The rooms a user belongs to (set; `*` marks it as loaded), read by gateways at connect. */
  userRooms: (userId: string) => `chat:user-rooms:{${userId}}`,
  /** A user's presence status (string), owned by the presence service; absent means offline. */
  presence: (userId: string) => `chat:presence:{${userId}}`,
} as const;

export const Groups = {
  messages: 'messages',
} as const;

/** Marker member of `userRooms`: present once the set has been loaded from PostgreSQL. */
export const USER_ROOMS_LOADED = '*';

export const Channels = {
  /** Room events (sharded pub/sub: SSUBSCRIBE/SPUBLISH). */
  room: (roomId: string) => `room:{${roomId}}`,
  /** Replies and controls for the connections one gateway holds. */
  gateway: (gatewayId: string) => `gw:${gatewayId}`,
  /** Events for every connection of one user, on whichever gateways hold them. */
  user: (userId: string) => `user:${userId}`,
} as const;

/** The room id of a `room:{id}` channel name. */
export function roomOfChannel(channel: string): string {
  return channel.slice(6, -1);
}
