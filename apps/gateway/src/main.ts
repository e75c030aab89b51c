import { runMain } from '@chat/observability';
import { redisAtStart } from '@chat/redis';
import { startGateway } from './gateway.app';

runMain('gateway', (config, logger) => startGateway(config, logger), (config) => [redisAtStart(config.redis.url)]);
