import { redisReconnectCounter, runMain } from '@chat/observability';
import { observeRedisConnections, redisAtStart } from '@chat/redis';
import { startGateway } from './gateway.app';

runMain('gateway', (config, logger) => {
  observeRedisConnections(redisReconnectCounter());
  return startGateway(config, logger);
}, (config) => [redisAtStart(config.redis.url)]);
