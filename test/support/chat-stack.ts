import { Stack, StackOptions, startStack } from '@chat/devstack';
import { createTestDatabase, TestDatabase } from './postgres';
import { RedisClusterHandle, RedisServerHandle, startRedisCluster, startRedisServer } from '@chat/devstack';

const GENEROUS_RATE_LIMITS = {
  RATE_CONN_FRAMES_PER_SEC: '100000',
  RATE_CONN_FRAMES_BURST: '100000',
  RATE_CONN_SENDS_PER_SEC: '100000',
  RATE_CONN_SENDS_BURST: '100000',
  RATE_USER_FRAMES: '1000000',
  RATE_USER_SENDS: '1000000',
};

type AppOptions = Pick<StackOptions, 'gateways' | 'messages' | 'presence' | 'search' | 'push' | 'grpcGateways' | 'webhooks' | 'env'>;

export interface ChatStack extends Stack {
  redis: RedisServerHandle;
  database: TestDatabase;
  /** Stops the apps, then Redis, then drops the database. */
  teardown(): Promise<void>;
}

/**
 * The whole system as separate processes for an end-to-end test file: a private
 * redis-server, a fresh PostgreSQL database, api, `messages` messages instances and
 * `gateways` gateways from the build.
 */
export async function startChatStack(
  name: string,
  options: AppOptions & {
    /** The DATABASE_URL the apps get, from the test database's (e.g. through a TcpProxy). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<ChatStack> {
  const redis = await startRedisServer();
  return { ...(await startAppsOn(name, redis, { redisUrl: redis.url }, options)), redis };
}

export interface ChatStackOnCluster extends Stack {
  cluster: RedisClusterHandle;
  database: TestDatabase;
  teardown(): Promise<void>;
}

/**
 * The same system on a private Redis Cluster (3 primaries with a replica each): the apps get
 * REDIS_CLUSTER_NODES and open ioredis Cluster clients.
 */
export async function startChatStackOnCluster(name: string, options: AppOptions = {}): Promise<ChatStackOnCluster> {
  const cluster = await startRedisCluster();
  const connection = { redisUrl: `redis://127.0.0.1:${cluster.nodes[0].port}`, env: { REDIS_CLUSTER_NODES: cluster.seeds } };
  return { ...(await startAppsOn(name, cluster, connection, options)), cluster };
}

/** The apps on a fresh database and the given Redis; `redis` is stopped with them (or when they fail to start). */
async function startAppsOn(
  name: string,
  redis: { stop(): Promise<void> },
  connection: { redisUrl: string; env?: Record<string, string> },
  options: AppOptions & { databaseUrl?: (url: string) => string },
): Promise<Stack & { database: TestDatabase; teardown(): Promise<void> }> {
  const database = await createTestDatabase(`e2e_${name}`);
  try {
    const stack = await startStack({
      redisUrl: connection.redisUrl,
      databaseUrl: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
      gateways: options.gateways ?? 2,
      messages: options.messages ?? 2,
      presence: options.presence ?? 1,
      search: options.search ?? 0,
      push: options.push ?? 0,
      grpcGateways: options.grpcGateways ?? 0,
      webhooks: options.webhooks ?? 0,
      // Tests push bursts far beyond a person's pace; the rate-limit tests set their own limits.
      env: { ...GENEROUS_RATE_LIMITS, ...connection.env, ...options.env },
    });
    return {
      ...stack,
      database,
      teardown: async () => {
        await stack.stop();
        await redis.stop();
        await database.drop();
      },
    };
  } catch (err) {
    await redis.stop();
    await database.drop();
    throw err;
  }
}

let names = 0;
/** A unique username per test run (usernames are global). */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36).slice(-5)}${(++names).toString(36)}`;
}
