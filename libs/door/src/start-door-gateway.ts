import { TokenService } from '@chat/auth';
import { Config } from '@chat/config';
import { gatewayOptionsOf, redisGatewayPorts } from '@chat/gateway-core';
import { Logger, Readiness } from '@chat/observability';
import { createRedis } from '@chat/redis';
import { DoorGateway } from './door-gateway';

export interface DoorGatewayIdentity {
  /** Names the door in its gateway id (`grpc`, `graphql`): `<prefix>-<GATEWAY_ID or generated>`. */
  idPrefix: string;
}

/**
 * Boots a door's gateway: its own gateway id (the presence service sees its sessions like
 * any gateway's connections), two Redis connections as a WebSocket gateway has (commands,
 * auto-pipelined; pub/sub), started. The door app adds its transport around `door`.
 */
export async function startDoorGateway(config: Config, logger: Logger, { idPrefix }: DoorGatewayIdentity) {
  const id = `${idPrefix}-${config.gateway.id}`.slice(0, 64);
  const commands = createRedis(config.redis.url, `${id}:commands`, { enableAutoPipelining: true }, logger);
  const subscriber = createRedis(config.redis.url, `${id}:pubsub`, {}, logger);
  const door = new DoorGateway(
    gatewayOptionsOf(config, id),
    redisGatewayPorts(commands, subscriber, id, config.shards),
    new TokenService(config.auth.jwtSecret, config.auth.ttlSeconds),
    {
      budget: { maxBytes: config.door.maxQueuedBytes, maxFrames: config.door.maxQueuedFrames },
      requestTimeoutMs: config.gateway.requestTimeoutMs,
    },
    logger,
  );
  await door.start();
  return {
    id,
    door,
    openSession: door.openSession.bind(door),
    stats: () => door.stats(),
    /** The door's checks for `/readyz`: Redis answers, the subscription is up, not draining. */
    readiness: (readiness: Readiness) =>
      readiness
        .add('redis', async () => (await commands.ping()) === 'PONG')
        .add('pubsub', () => subscriber.status === 'ready')
        .add('accepting', () => !door.draining),
    close: async () => {
      await door.drain(config.gateway.drainMs);
      await door.stop();
      // Let the sessions' closes queue their presence disconnects, then flush them.
      await new Promise((resolve) => setImmediate(resolve));
      await commands.quit().catch(() => commands.disconnect());
      subscriber.disconnect();
    },
  };
}

export type RunningDoorGateway = Awaited<ReturnType<typeof startDoorGateway>>;
