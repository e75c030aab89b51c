import { envelopeFields, isPresenceOp, isReadOp, isSearchOp, routingKey, ClientFrame, User } from '@chat/protocol';
import { Keys, shardOf } from '@chat/redis';
import { OpStream } from './ports/op-stream';

/**
 * Puts a client's op on its shard's stream: shard = hash(room, or the user for ops without
 * a room) mod S. The frame text goes as the client sent it; the service validates it again.
 * The op stream keeps call order; on Redis, the XADDs of one event-loop tick travel together.
 */
export class Forwarder {
  constructor(
    private readonly ops: OpStream,
    private readonly gatewayId: string,
    private readonly shards: number,
  ) {}

  /**
   * A client op: typing and presence go to the presence service, reads to `chat:reads` (any
   * messages instance), `search` to `chat:search` (any search instance), the rest to the op's
   * shard (its one owner orders them).
   */
  forward(frame: ClientFrame, raw: string, user: User, connectionId: string): Promise<unknown> {
    const stream = isPresenceOp(frame.type)
      ? Keys.presenceIn()
      : isReadOp(frame.type)
        ? Keys.readsIn()
        : isSearchOp(frame.type)
          ? Keys.searchIn()
          : this.shardStream(routingKey(frame, user.id));
    return this.append(stream, raw, user, connectionId);
  }

  /** Gateway-internal ops (`$…`) for the messages service, routed by `key`. */
  forwardInternal(type: string, data: unknown, key: string, user: User, connectionId: string): Promise<unknown> {
    return this.append(this.shardStream(key), JSON.stringify({ type, data }), user, connectionId);
  }

  /** Connection events and frames the gateway itself reports to the presence service. */
  toPresence(type: string, data: unknown, user: User, connectionId: string): Promise<unknown> {
    return this.append(Keys.presenceIn(), JSON.stringify({ type, data }), user, connectionId);
  }

  private shardStream(key: string): string {
    return Keys.inStream(shardOf(key, this.shards));
  }

  private append(stream: string, raw: string, user: User, connectionId: string): Promise<unknown> {
    const fields = envelopeFields({ f: raw, u: user.id, n: user.username, g: this.gatewayId, c: connectionId, t: Date.now() });
    return this.ops.append(stream, fields);
  }
}
