import { execFileSync } from 'node:child_process';
import { Logger } from '@chat/observability';
import { pingRedis } from '@chat/redis';
import { startRedisServer } from '@chat/devstack';

/**
 * `npm start` needs a Redis. Use the one at REDIS_URL when it answers; otherwise, when the
 * `redis-server` binary exists, run a private one on that URL's port (no persistence) and
 * stop it on exit; otherwise explain how to get one.
 */
export async function ensureLocalRedis(url: string, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  if (await pingRedis(url)) return { url, stop: async () => undefined };
  const target = new URL(url);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(target.hostname);
  if (!local || !hasRedisServer()) {
    throw new Error(
      `nothing answers at REDIS_URL=${url}. Start Redis (e.g. "apt-get install redis-server" or ` +
        `"docker run -p 6379:6379 redis:7") or point REDIS_URL at one.`,
    );
  }
  const server = await startRedisServer({ port: Number(target.port || 6379) });
  logger.info({ url: server.url }, 'started a private redis-server (stopped on exit)');
  return server;
}

function hasRedisServer(): boolean {
  try {
    execFileSync(process.env.REDIS_SERVER_BIN || 'redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
