import { Config } from '@chat/config';
import { Logger, startServiceApp } from '@chat/observability';
import { PushService } from '@chat/push';
import { Database } from '@chat/store';
import { connectChatEvents } from '@chat/stream-transport';
import { PUSH_NOTIFIER, PushEventsController } from './push-events.controller';

/**
 * Boots the push service: its HTTP side (health, readiness, metrics), the Redis Streams
 * transport feeding new messages to the notifier, and the BullMQ worker sending pushes.
 */
export async function startPush(config: Config, deps: { db: Database; logger: Logger }) {
  const service = new PushService(config, deps.db, deps.logger);
  const app = await startServiceApp(
    service,
    { port: config.push.port, host: config.host, logger: deps.logger },
    {
      controllers: [PushEventsController],
      providers: [{ provide: PUSH_NOTIFIER, useValue: service.notifier }],
      beforeListen: (nest) => connectChatEvents(nest, service.transport()),
    },
  );
  return { port: app.port, service, close: app.close };
}
