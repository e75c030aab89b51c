import { Config } from '@chat/config';
import { Logger, startServiceApp } from '@chat/observability';
import { SearchService } from '@chat/search';
import { Database } from '@chat/store';
import { connectChatEvents } from '@chat/stream-transport';
import { SEARCH_INDEX_WRITER, SearchEventsController } from './search-events.controller';

/**
 * Boots the search service: its HTTP side (health, readiness, metrics), the Redis Streams
 * transport feeding the index through the event handlers, and the query readers.
 */
export async function startSearch(config: Config, deps: { db: Database; logger: Logger }) {
  const service = new SearchService(config, deps.db, deps.logger);
  const app = await startServiceApp(
    service,
    { port: config.search.port, host: config.host, logger: deps.logger },
    {
      controllers: [SearchEventsController],
      providers: [{ provide: SEARCH_INDEX_WRITER, useValue: service.writer }],
      beforeListen: (nest) => connectChatEvents(nest, service.transport()),
    },
  );
  return { port: app.port, service, close: app.close };
}
