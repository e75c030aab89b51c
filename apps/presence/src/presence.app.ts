import { NestFactory } from '@nestjs/core';
import { Config } from '@chat/config';
import { Logger, PinoNestLogger } from '@chat/observability';
import { PresenceService } from '@chat/presence';
import { PresenceModule } from './presence.module';

/** Boots the presence service with its HTTP side (health, readiness, metrics). No database. */
export async function startPresence(config: Config, deps: { logger: Logger }) {
  const service = new PresenceService(config, deps.logger);
  const app = await NestFactory.create(PresenceModule.forRoot(service), { logger: new PinoNestLogger(deps.logger) });
  await app.listen(config.presence.port, config.host);
  const address = app.getHttpServer().address();
  return {
    port: typeof address === 'object' && address ? address.port : config.presence.port,
    service,
    close: () => app.close(),
  };
}
