import { Stack, StackOptions, startStack } from '@chat/devstack';
import { createTestDatabase, TestDatabase } from './postgres';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';

const GENEROUS_RATE_LIMITS = {
  RATE_CONN_FRAMES_PER_SEC: '100000',
  RATE_CONN_FRAMES_BURST: '100000',
  RATE_CONN_SENDS_PER_SEC: '100000',
  RATE_CONN_SENDS_BURST: '100000',
  RATE_USER_FRAMES: '1000000',
  RATE_USER_SENDS: '1000000',
};

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
  options: Pick<StackOptions, 'gateways' | 'messages' | 'presence' | 'search' | 'push' | 'grpcGateways' | 'env'> & {
    /** The DATABASE_URL the apps get, from the test database's (e.g. through a TcpProxy). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<ChatStack> {
  const redis = await startRedisServer();
  const database = await createTestDatabase(`e2e_${name}`);
  try {
    const stack = await startStack({
      redisUrl: redis.url,
      databaseUrl: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
      gateways: options.gateways ?? 2,
      messages: options.messages ?? 2,
      presence: options.presence ?? 1,
      search: options.search ?? 0,
      push: options.push ?? 0,
      grpcGateways: options.grpcGateways ?? 0,
      // Tests push bursts far beyond a person's pace; the rate-limit tests set their own limits.
      env: { ...GENEROUS_RATE_LIMITS, ...options.env },
    });
    return {
      ...stack,
      redis,
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
