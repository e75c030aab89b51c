import { TokenService } from '@chat/auth';
import { Config } from '@chat/config';
import { Gateway, gatewayOptionsOf, redisGatewayPorts } from '@chat/gateway-core';
import { Logger, Readiness } from '@chat/observability';
import { createRedis } from '@chat/redis';
import { createUwsServer } from './uws-server';

/**
 * Boots one gateway node: two Redis connections (commands, auto-pipelined; and pub/sub),
 * the transport-free Gateway, and the uWS server around it. Returns the bound port.
 */
export async function startGateway(config: Config, logger: Logger) {
  const commands = createRedis(config.redis.url, `${config.gateway.id}:commands`, { enableAutoPipelining: true }, logger);
  const subscriber = createRedis(config.redis.url, `${config.gateway.id}:pubsub`, {}, logger);

  let server: ReturnType<typeof createUwsServer> | undefined;
  const gateway = new Gateway(
    gatewayOptionsOf(config, config.gateway.id),
    redisGatewayPorts(commands, subscriber, config.gateway.id, config.shards),
    new TokenService(config.auth.jwtSecret, config.auth.ttlSeconds),
    { publish: (topic, message) => server!.publish(topic, message) },
    logger,
  );
  const readiness = new Readiness()
    .add('redis', async () => (await commands.ping()) === 'PONG')
    .add('pubsub', () => subscriber.status === 'ready')
    .add('accepting', () => !gateway.draining);
  server = createUwsServer(gateway, readiness, {
    host: config.host,
    port: config.gateway.port,
    heartbeatMs: config.gateway.heartbeatMs,
    maxBackpressureBytes: config.gateway.maxBackpressureBytes,
    sharePort: config.gateway.sharePort,
  });
  await gateway.start();
  const port = await server.listen();
  logger.info({ port, gatewayId: config.gateway.id }, 'gateway listening');
  return {
    port,
    gateway,
    close: async () => {
      // Not ready first, then the sockets go a few at a time; only then the listener.
      await gateway.drain(config.gateway.drainMs);
      server!.close();
      await gateway.stop();
      // Let the sockets' close callbacks queue their presence disconnects, then flush them.
      await new Promise((resolve) => setImmediate(resolve));
      await commands.quit().catch(() => commands.disconnect());
      subscriber.disconnect();
    },
  };
}
