import { NestFactory } from '@nestjs/core';
import { Config } from '@chat/config';
import { MessagesService } from '@chat/messaging';
import { Logger, PinoNestLogger } from '@chat/observability';
import { Database } from '@chat/store';
import { MessagesModule } from './messages.module';

/** Boots the messages service with its HTTP side (health, readiness, metrics). */
export async function startMessages(config: Config, deps: { db: Database; logger: Logger }) {
  const service = new MessagesService(config, deps.db, deps.logger);
  const app = await NestFactory.create(MessagesModule.forRoot(service), { logger: new PinoNestLogger(deps.logger) });
  await app.listen(config.messages.port, config.host);
  const address = app.getHttpServer().address();
  return {
    port: typeof address === 'object' && address ? address.port : config.messages.port,
    service,
    close: () => app.close(),
  };
}
