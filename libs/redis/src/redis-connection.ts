import { redactedUrl } from '@chat/config';
import Redis, { RedisOptions } from 'ioredis';

/** Where connection errors go (a pino logger fits). */
export interface RedisErrorLog {
  warn(details: object, message: string): void;
}

/**
 * What happens to connections, for whoever counts it (the apps count reconnects in Prometheus:
 * libs/app-main). A port rather than a metric here, so libs/redis needs no prom-client.
 */
export interface RedisConnectionObserver {
  reconnecting(name: string): void;
}

let observer: RedisConnectionObserver | undefined;

/** Observes every connection createRedis opens from now on (one observer per process). */
export function observeRedisConnections(next: RedisConnectionObserver | undefined): void {
  observer = next;
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
  redis.on('reconnecting', () => observer?.reconnecting(name));
  if (log) redis.on('error', (err: Error) => log.warn({ err: err.message, connection: name }, 'redis connection error'));
  return redis;
}

/** Resolves once the server at `url` answers PING; rejects with why not (refused, timeout, auth…). */
export async function probeRedis(url: string, timeoutMs = 1000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  // The connection's own error (ECONNREFUSED, ENOTFOUND, WRONGPASS…) says more than the
  // "Connection is closed." that connect() rejects with after it.
  let cause: Error | undefined;
  probe.on('error', (err: Error) => (cause ??= err));
  try {
    await probe.connect();
    const reply = await probe.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
  } catch (err) {
    throw cause ?? err;
  } finally {
    probe.disconnect();
  }
}

/** True when the server at `url` answers PING within `timeoutMs`. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  return probeRedis(url, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** Redis as a dependency an app waits for when it starts (runMain). */
export function redisAtStart(url: string) {
  return { name: 'Redis', variable: 'REDIS_URL', where: redactedUrl(url), probe: () => probeRedis(url, 2000) };
}
