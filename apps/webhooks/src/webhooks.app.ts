import { Config } from '@chat/config';
import { Logger, startServiceApp } from '@chat/observability';
import { Database } from '@chat/store';
import { connectChatEvents } from '@chat/stream-transport';
import { WebhooksService } from '@chat/webhooks';
import { WEBHOOK_DISPATCHER, WebhookEventsController } from './webhook-events.controller';

/**
 * Boots the webhooks service: its HTTP side (health, readiness, metrics), the Redis Streams
 * transport feeding room events to the dispatcher, and the BullMQ worker delivering them.
 */
export async function startWebhooks(config: Config, deps: { db: Database; logger: Logger }) {
  const service = new WebhooksService(config, deps.db, deps.logger);
  const app = await startServiceApp(
    service,
    { port: config.webhooks.port, host: config.host, logger: deps.logger },
    {
      controllers: [WebhookEventsController],
      providers: [{ provide: WEBHOOK_DISPATCHER, useValue: service.dispatcher }],
      beforeListen: (nest) => connectChatEvents(nest, service.transport()),
    },
  );
  return { port: app.port, service, close: app.close };
}
