import 'reflect-metadata';
import { redisReconnectCounter, runMain } from '@chat/observability';
import { observeRedisConnections, redisAtStart } from '@chat/redis';
import { startPresence } from './presence.app';

runMain('presence', async (config, logger) => {
  observeRedisConnections(redisReconnectCounter());
  const running = await startPresence(config, { logger });
  logger.info({ port: running.port }, 'presence listening');
  return { close: () => running.close() };
}, (config) => [redisAtStart(config.redis.url)]);
