import Redis, { RedisOptions } from 'ioredis';

/** Where connection errors go (a pino logger fits). */
export interface RedisErrorLog {
  warn(details: object, message: string): void;
}

/**
 * Opens a named connection. Names show in CLIENT LIST, which is how an operator tells a
 * gateway's subscriber from a shard reader. Commands queue while reconnecting, so a brief
 * Redis restart delays work instead of failing it; each failed reconnect is logged to `log`
 * (without a listener, ioredis would print them as unhandled errors).
 */
export function createRedis(url: string, name: string, options: RedisOptions = {}, log?: RedisErrorLog): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    ...options,
  });
  if (log) redis.on('error', (err: Error) => log.warn({ err: err.message, connection: name }, 'redis connection error'));
  return redis;
}

/** Resolves once the connection answers PING, or rejects after `timeoutMs`. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
