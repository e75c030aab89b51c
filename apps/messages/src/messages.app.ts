import { Config } from '@chat/config';
import { MessagesService } from '@chat/messaging';
import { Logger, startServiceApp } from '@chat/observability';
import { Database } from '@chat/store';

/**
 * Boots the messages service with its HTTP side (health, readiness, metrics): the shard
 * workers start once Nest is up and stop (handing shards back) on shutdown.
 */
export async function startMessages(config: Config, deps: { db: Database; logger: Logger }) {
  const service = new MessagesService(config, deps.db, deps.logger);
  const app = await startServiceApp(service, { port: config.messages.port, host: config.host, logger: deps.logger });
  return { port: app.port, service, close: app.close };
}
