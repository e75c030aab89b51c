/**
 * Every Redis key, stream, consumer group and channel name of the system. Nothing else
 * builds one. Names that belong to one shard carry the shard in a hash tag (`{3}`), so on
 * Redis Cluster a shard's stream and lease live on one node.
 */
export const Keys = {
  /** Inbound client ops of one shard, consumed by the messages service. */
  inStream: (shard: number) => `chat:in:{${shard}}`,
  /**
   * Entries of `stream` that failed on their own (not the batch's fault), kept with their
   * error for an operator to inspect and replay (`npm run dead-letters`). `chat:in:{3}` →
   * `chat:in:{3}:dead`: the same hash tag, so the same Redis Cluster slot.
   */
  deadLetters: (stream: string) => `${stream}:dead`,
  /** Read-only client ops (history, members, room list, resume): any messages instance answers. */
  readsIn: () => 'chat:reads',
  /**
   * Durable changes of one shard's rooms (libs/protocol ChatEventData), appended by the shard's
   * owner in its fenced commit; read by search and push through their own consumer groups.
   * Same hash tag as `chat:in:{shard}`.
   */
  eventStream: (shard: number) => `chat:events:{${shard}}`,
  /** `search` ops: any search instance answers (consumer group `search-queries`). */
  searchIn: () => 'chat:search',
  /** Lease naming the messages instance that owns a shard. */
  shardLease: (shard: number) => `chat:lease:{${shard}}`,
  /** Live messages instances (zset: instance id → last heartbeat ms), to share shards fairly. */
  messagesInstances: () => 'chat:messages:instances',
  /** The rooms a user belongs to (set; `*` marks it as loaded), read by gateways at connect. */
  userRooms: (userId: string) => `chat:user-rooms:{${userId}}`,
  /** A user's presence status (string), owned by the presence service; absent means offline. */
  presence: (userId: string) => `chat:presence:{${userId}}`,
  /** Presence events from gateways (connect, disconnect, heartbeat, typing, presence.set). */
  presenceIn: () => 'presence:in',
  /** Lease naming the presence instance that consumes `presence:in` (shard 0: there is one stream). */
  presenceLease: (shard: number) => `chat:presence-lease:{${shard}}`,
  /** Live presence instances (zset: instance id → last heartbeat ms). */
  presenceInstances: () => 'chat:presence:instances',
  /** The status a user chose with presence.set (online, away, dnd); kept while offline. */
  presenceChoice: (userId: string) => `chat:presence-choice:{${userId}}`,
  /** A user's open connections (hash: connection id → gateway id). */
  presenceConnections: (userId: string) => `chat:presence-conns:{${userId}}`,
  /** When a user was last connected (ms since epoch, string). */
  lastSeen: (userId: string) => `chat:last-seen:{${userId}}`,
  /** The connections one gateway reported (set of "userId connectionId"), swept when it dies. */
  gatewayConnections: (gatewayId: string) => `chat:gw-conns:${gatewayId}`,
  /** Gateways' last heartbeat (zset: gateway id → ms). */
  gatewayHeartbeats: () => 'chat:presence:gateways',
  /** Users whose last connection closed (zset: user id → when they go offline, ms). */
  offlineDeadlines: () => 'chat:presence:offline-at',
  /** Who is typing in a room (zset: user id → when their typing expires, ms). */
  typing: (roomId: string) => `chat:typing:{${roomId}}`,
  /** Per-user fixed-window counters shared by all gateways (frames, and sends among them). */
  rateFrames: (userId: string) => `chat:rate:{${userId}}:frames`,
  rateSends: (userId: string) => `chat:rate:{${userId}}:sends`,
  /** Rooms with typers (zset: room id → earliest expiry, ms), for the expiry sweep. */
  typingRooms: () => 'chat:typing:rooms',
  /**
   * Per-user revocation (string, ms since epoch): tokens issued (iat) before it are refused
   * and sockets opened with them are closed. Written by the api (logout everywhere, ban).
   */
  tokensRevokedBefore: (userId: string) => `chat:auth:revoked-before:{${userId}}`,
  /**
   * Auth throttles of the api (fixed-window counters with a TTL, shared by api replicas):
   * failed logins per account (lower-cased, URI-encoded username) and per client address,
   * guest/register attempts per client address.
   */
  loginFailuresOfAccount: (account: string) => `chat:auth:login-failures:account:{${account}}`,
  loginFailuresFromAddress: (address: string) => `chat:auth:login-failures:address:{${address}}`,
  signupsFromAddress: (address: string) => `chat:auth:signups:address:{${address}}`,
  /** A GraphQL persisted query's text (string, with a TTL), by the hex sha256 of that text; written by the api. */
  graphqlPersistedQuery: (sha256: string) => `chat:graphql:pq:${sha256}`,
} as const;

export const Groups = {
  messages: 'messages',
  /** Every messages instance reads `chat:reads` in this group (no lease: reads need no order). */
  reads: 'messages-reads',
  presence: 'presence',
  /** The search service's consumer group on every `chat:events:{shard}`. */
  search: 'search',
  /** Search instances answering `search` ops from `chat:search`. */
  searchQueries: 'search-queries',
  /** The push service's consumer group on every `chat:events:{shard}`. */
  push: 'push',
  /** The webhooks service's consumer group on every `chat:events:{shard}`. */
  webhooks: 'webhooks',
} as const;

/**
 * BullMQ queues. Every key of a queue is `<prefix>:<name>:…`; the name is a hash tag, so on
 * Redis Cluster one queue's keys (which its Lua scripts touch together) share a slot.
 */
export const Queues = {
  prefix: 'chat:bull',
  /** One job per (message, user) to notify by Web Push (libs/push). */
  push: '{push}',
  /** One job per (event, webhook) to deliver (libs/webhooks). */
  webhooks: '{webhooks}',
} as const;

/** Marker member of `userRooms`: present once the set has been loaded from PostgreSQL. */
export const USER_ROOMS_LOADED = '*';

/**
 * Pub/sub channels. Those that carry a shard's output (its rooms' events, and the replies and
 * controls its batches send a gateway) are sharded channels tagged with the shard (`{3}`), the
 * same hash tag as `chat:in:{3}`: on Redis Cluster they live on the node that holds the
 * shard's stream and lease, so the fenced commit (one Lua script, one slot) publishes them,
 * and a gateway hears one shard's room events and controls on one connection, in order.
 */
export const Channels = {
  /** Events of one room (sharded pub/sub: SSUBSCRIBE/SPUBLISH), on its shard's slot. */
  room: (roomId: string, shard: number) => `room:{${shard}}:${roomId}`,
  /**
   * Replies and controls that one shard's batches send to the connections of one gateway
   * (sharded). Every gateway holds all S of them for its whole life, which also keeps its
   * sharded subscriptions from ever counting down to 0 (see RedisBrokerSubscription).
   */
  shardToGateway: (shard: number, gatewayId: string) => `gw:{${shard}}:${gatewayId}`,
  /** Replies and controls for the connections one gateway holds, from anything but a shard batch. */
  gateway: (gatewayId: string) => `gw:${gatewayId}`,
  /** Events for every connection of one user, on whichever gateways hold them. */
  user: (userId: string) => `user:${userId}`,
  /** Events for every connection of every gateway (a new public room): plain pub/sub. */
  everyone: () => 'chat:everyone',
} as const;

/** The room id of a `room:{shard}:id` channel name. */
export function roomOfChannel(channel: string): string {
  return channel.slice(channel.indexOf('}:') + 2);
}
