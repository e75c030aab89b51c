import { Logger } from '@chat/observability';
import { Keys } from '@chat/redis';
import type { INestApplication } from '@nestjs/common';
import { RedisStreamsServer } from './redis-streams.server';
import { StreamEventErrorFilter } from './stream-event-error.filter';

export interface ChatEventsConsumer {
  redisUrl: string;
  /** SHARDS: one `chat:events:{shard}` stream each. */
  shards: number;
  /** The service's consumer group (replicas share it). */
  group: string;
  consumer: string;
  claimIdleMs: number;
  /** false: a batch's events go to the handlers at once (they must not care about order). */
  ordered: boolean;
  logger: Logger;
}

/** The transport a service's `@EventPattern` handlers read every shard's `chat:events` through. */
export function chatEventsServer(options: ChatEventsConsumer): RedisStreamsServer {
  const { shards, ...rest } = options;
  return new RedisStreamsServer({ ...rest, streams: Array.from({ length: shards }, (_, shard) => Keys.eventStream(shard)) });
}

/**
 * Connects the transport to a Nest app and starts it (a `beforeListen` of startServiceApp).
 * Handler errors must reach the transport as thrown: it tells transient failures from poison
 * by them, hence the filter.
 */
export async function connectChatEvents(nest: INestApplication, server: RedisStreamsServer): Promise<void> {
  const events = nest.connectMicroservice({ strategy: server }, { inheritAppConfig: false });
  events.useGlobalFilters(new StreamEventErrorFilter());
  await nest.startAllMicroservices();
}
