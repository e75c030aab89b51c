import Redis from 'ioredis';
import { BrokerSubscription } from './broker-subscription';
import { MemoryBrokerSubscription } from './broker-subscription.memory';
import { RedisBrokerSubscription } from './broker-subscription.redis';
import { OpStream } from './op-stream';
import { MemoryOpStream } from './op-stream.memory';
import { RedisOpStream } from './op-stream.redis';
import { RateLimitStore } from './rate-limit-store';
import { MemoryRateLimitStore } from './rate-limit-store.memory';
import { RedisRateLimitStore } from './rate-limit-store.redis';
import { RoomSetCache } from './room-set-cache';
import { MemoryRoomSetCache } from './room-set-cache.memory';
import { RedisRoomSetCache } from './room-set-cache.redis';

/** Everything a gateway does with the outside world besides its sockets. */
export interface GatewayPorts {
  ops: OpStream;
  broker: BrokerSubscription;
  roomSets: RoomSetCache;
  rateLimits: RateLimitStore;
}

/**
 * The production wiring: commands (XADD, the session read, rate counters) on one
 * auto-pipelined connection, pub/sub on its own connection.
 */
export function redisGatewayPorts(commands: Redis, subscriber: Redis, gatewayId: string, shards: number): GatewayPorts {
  return {
    ops: new RedisOpStream(commands),
    broker: new RedisBrokerSubscription(subscriber, gatewayId, shards),
    roomSets: new RedisRoomSetCache(commands),
    rateLimits: new RedisRateLimitStore(commands),
  };
}

export function memoryGatewayPorts() {
  return {
    ops: new MemoryOpStream(),
    broker: new MemoryBrokerSubscription(),
    roomSets: new MemoryRoomSetCache(),
    rateLimits: new MemoryRateLimitStore(),
  } satisfies GatewayPorts;
}
