import { Config } from '@chat/config';
import { Logger, startServiceApp } from '@chat/observability';
import { PresenceService } from '@chat/presence';

/**
 * Boots the presence service with its HTTP side (health, readiness, metrics). No database.
 * It competes for the presence lease once Nest is up and hands it back on shutdown.
 */
export async function startPresence(config: Config, deps: { logger: Logger }) {
  const service = new PresenceService(config, deps.logger);
  const app = await startServiceApp(service, { port: config.presence.port, host: config.host, logger: deps.logger });
  return { port: app.port, service, close: app.close };
}
