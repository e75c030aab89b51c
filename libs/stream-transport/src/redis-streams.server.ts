import { lastValueFrom, isObservable } from 'rxjs';
import { CustomTransportStrategy, ReadPacket, Server } from '@nestjs/microservices';
import { createLogger, Logger } from '@chat/observability';
import { EventPump } from './event-pump';
import { RedisEventSource } from './redis-event-source';
import { RedisStreamContext } from './redis-streams.context';
import { streamTransportMetrics } from './stream-transport.metrics';
import { EventSource } from './event-source';

export interface RedisStreamsServerOptions {
  redisUrl: string;
  /** Every stream to consume, e.g. `Keys.eventStream(n)` for n < SHARDS. */
  streams: string[];
  /** The consumer group (e.g. Groups.search): replicas share it, each entry goes to one of them. */
  group: string;
  /** This replica's name in the group; keep it across restarts to resume its own pending entries first. */
  consumer: string;
  /** Entries per read and per stream batch (default 100). */
  batchSize?: number;
  /** How long an idle read waits for new entries (default 1000 ms). */
  blockMs?: number;
  /** Entries another consumer left pending this long are taken over (default 30 s). */
  claimIdleMs?: number;
  /** Streams with a batch in hand at once (default: all of them; never more than one per stream). */
  maxInFlight?: number;
  /** First pause before retrying after a transient handler failure (default 200 ms, doubling to 30 s). */
  retryMs?: number;
  /**
   * False: the entries of a batch go to their handlers all at once instead of in stream order,
   * for handlers that apply events idempotently in any order and coalesce concurrent calls
   * (the search index). Default true.
   */
  ordered?: boolean;
  logger?: Logger;
  /** For tests: an EventSource instead of Redis at `redisUrl`. */
  source?: EventSource;
}

/**
 * A Nest microservice transport over the chat's event streams (`chat:events:{shard}`):
 * `@EventPattern('message.created')` handlers get each event's data (validated against
 * libs/protocol ChatEventData) and, with `@Ctx()`, a RedisStreamContext. Delivery is at least
 * once: an entry is acknowledged after its handler resolved (its promise, or the last value
 * of its observable), so a replica that dies mid-batch has its entries handled again by
 * another — handlers must be idempotent. See EventPump for order, retries and dead letters.
 * Install StreamEventErrorFilter so that handler errors reach the transport as thrown.
 */
export class RedisStreamsServer extends Server implements CustomTransportStrategy {
  // handleEvent awaits each handler and sees its failure: Nest must not report it on its own.
  override readonly propagatesEventHandlerErrors = true;
  private readonly source: EventSource;
  private readonly pump: EventPump;
  private readonly log: Logger;

  constructor(options: RedisStreamsServerOptions) {
    super();
    this.log = options.logger ?? createLogger('stream-transport');
    this.source = options.source ?? new RedisEventSource(options.redisUrl, options.streams, options.group, options.consumer, this.log);
    this.pump = new EventPump(
      this.source,
      options.streams,
      (event, origin) => this.dispatch(event.type, event.data, new RedisStreamContext([origin, event.t])),
      {
        group: options.group,
        batchSize: options.batchSize ?? 100,
        blockMs: options.blockMs ?? 1000,
        claimIdleMs: options.claimIdleMs ?? 30_000,
        maxInFlight: Math.max(1, options.maxInFlight ?? options.streams.length),
        retryMs: options.retryMs ?? 200,
        ordered: options.ordered ?? true,
      },
      streamTransportMetrics(),
      this.log,
    );
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.pump.start();
    callback();
  }

  async close(): Promise<void> {
    await this.pump.stop();
    this.source.close();
  }

  /** The transport emits no events of its own. */
  on(): void {
    throw new Error('RedisStreamsServer emits no events');
  }

  unwrap<T>(): T {
    if (!(this.source instanceof RedisEventSource)) throw new Error('this RedisStreamsServer does not run on Redis');
    return this.source.redis as T;
  }

  /** Runs the event's handler to its end; rejects with the handler's error (see StreamEventErrorFilter). */
  override async handleEvent(pattern: string, packet: ReadPacket, context: RedisStreamContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) return;
    const result = await handler(packet.data, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private async dispatch(type: string, data: unknown, context: RedisStreamContext): Promise<boolean> {
    if (!this.getHandlerByPattern(type)) return false;
    await this.handleEvent(type, { pattern: type, data }, context);
    return true;
  }
}
