import 'reflect-metadata';
import { runMain } from '@chat/observability';
import { redisAtStart } from '@chat/redis';
import { startPresence } from './presence.app';

runMain('presence', async (config, logger) => {
  const running = await startPresence(config, { logger });
  logger.info({ port: running.port }, 'presence listening');
  return { close: () => running.close() };
}, (config) => [redisAtStart(config.redis.url)]);
