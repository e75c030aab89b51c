import { Config } from '@chat/config';
import { Logger, PinoNestLogger, ServiceAppModule } from '@chat/observability';
import { SearchService } from '@chat/search';
import { Database } from '@chat/store';
import { StreamEventErrorFilter } from '@chat/stream-transport';
import { DynamicModule, Module } from '@nestjs/common';
import { SEARCH_INDEX_WRITER, SearchEventsController } from './search-events.controller';

@Module({})
class SearchModule {
  static forRoot(service: SearchService): DynamicModule {
    return {
      module: SearchModule,
      imports: [ServiceAppModule.forRoot(service)],
      controllers: [SearchEventsController],
      providers: [{ provide: SEARCH_INDEX_WRITER, useValue: service.writer }],
    };
  }
}

/**
 * Boots the search service: one Nest app with its HTTP side (health, readiness, metrics) and
 * the Redis Streams transport feeding the index, plus the query readers.
 */
export async function startSearch(config: Config, deps: { db: Database; logger: Logger }) {
  const { NestFactory } = await import('@nestjs/core');
  const service = new SearchService(config, deps.db, deps.logger);
  const app = await NestFactory.create(SearchModule.forRoot(service), { logger: new PinoNestLogger(deps.logger) });
  const events = app.connectMicroservice({ strategy: service.transport() }, { inheritAppConfig: false });
  // Handler errors must reach the transport as thrown: it tells transient from poison by them.
  events.useGlobalFilters(new StreamEventErrorFilter());
  await app.startAllMicroservices();
  await app.listen(config.search.port, config.host);
  const address = app.getHttpServer().address();
  return {
    port: typeof address === 'object' && address ? (address.port as number) : config.search.port,
    service,
    close: () => app.close(),
  };
}
