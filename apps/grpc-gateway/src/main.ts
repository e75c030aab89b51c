import 'reflect-metadata';
import { redisReconnectCounter, runMain } from '@chat/observability';
import { observeRedisConnections, redisAtStart } from '@chat/redis';
import { startGrpcGateway } from './grpc-gateway.app';

runMain('grpc-gateway', (config, logger) => {
  observeRedisConnections(redisReconnectCounter());
  return startGrpcGateway(config, logger);
}, (config) => [redisAtStart(config.redis.url)]);
