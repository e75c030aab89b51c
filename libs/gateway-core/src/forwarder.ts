import Redis from 'ioredis';
import { envelopeFields, routingKey, ClientFrame, User } from '@chat/protocol';
import { Keys, shardOf } from '@chat/redis';

/**
 * Puts a client's op on its shard's stream: shard = hash(room, or the user for ops without
 * a room) mod S. The frame text goes as the client sent it; the service validates it again.
 * The connection auto-pipelines, so XADDs of one event-loop tick travel together.
 */
export class Forwarder {
  constructor(
    private readonly redis: Redis,
    private readonly gatewayId: string,
    private readonly shards: number,
  ) {}

  forward(frame: ClientFrame, raw: string, user: User, connectionId: string): Promise<unknown> {
    return this.append(routingKey(frame, user.id), raw, user, connectionId);
  }

  /** Gateway-internal ops (`$…`), routed by `key`. */
  forwardInternal(type: string, data: unknown, key: string, user: User, connectionId: string): Promise<unknown> {
    return this.append(key, JSON.stringify({ type, data }), user, connectionId);
  }

  private append(key: string, raw: string, user: User, connectionId: string): Promise<unknown> {
    const stream = Keys.inStream(shardOf(key, this.shards));
    const fields = envelopeFields({ f: raw, u: user.id, n: user.username, g: this.gatewayId, c: connectionId, t: Date.now() });
    return this.redis.xadd(stream, '*', ...fields);
  }
}
