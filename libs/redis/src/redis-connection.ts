import Redis, { Cluster, RedisOptions } from 'ioredis';
import { parseRedisTarget, redactedRedis } from './redis-target';

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
 *
 * `connection` is REDIS_URL, or a `redis+cluster://` string (REDIS_CLUSTER_NODES): then it is
 * an ioredis Cluster, typed as Redis because every command the apps send exists on both and
 * keeps to one slot per command, script, MULTI and pipeline (see isCluster for the few places
 * that differ). Sharded pub/sub goes to the node that owns each channel's slot.
 */
export function createRedis(connection: string, name: string, options: RedisOptions = {}, log?: RedisErrorLog): Redis {
  const target = parseRedisTarget(connection);
  const redisOptions: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    ...options,
  };
  let redis: Redis;
  if (target.kind === 'server') {
    redis = new Redis(target.url, redisOptions);
  } else {
    const { enableAutoPipelining, retryStrategy, ...perNode } = redisOptions;
    const cluster = new Cluster(target.nodes, {
      redisOptions: { ...perNode, ...target.redisOptions },
      enableAutoPipelining,
      clusterRetryStrategy: retryStrategy as (attempt: number) => number,
      // No reconnecting to a lost node (ioredis' default): its commands fail over to whichever
      // node serves their slot once the topology is read again (a promoted replica).
      shardedSubscribers: true,
      // A MOVED or a lost node during failover: retry after the topology refresh instead of failing the command.
      retryDelayOnMoved: 50,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      maxRedirections: 64,
    });
    redis = cluster as unknown as Redis;
  }
  redis.on('reconnecting', () => observer?.reconnecting(name));
  if (log) redis.on('error', (err: Error) => log.warn({ err: err.message, connection: name }, 'redis connection error'));
  return redis;
}

/** True when `redis` is a Redis Cluster client: the places that batch keys of several slots ask. */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/**
 * Resolves once Redis answers PING; rejects with why not (refused, timeout, auth…). For a
 * cluster: once one of its seeds answers and says the cluster is ok.
 */
export async function probeRedis(connection: string, timeoutMs = 1000): Promise<void> {
  const target = parseRedisTarget(connection);
  if (target.kind === 'server') return probeServer(target.url, {}, timeoutMs, false);
  let lastError: unknown;
  for (const { host, port } of target.nodes) {
    try {
      return await probeServer(`redis://${host.includes(':') ? `[${host}]` : host}:${port}`, target.redisOptions, timeoutMs, true);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function probeServer(url: string, options: RedisOptions, timeoutMs: number, clusterMember: boolean): Promise<void> {
  const probe = new Redis(url, { ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  // The connection's own error (ECONNREFUSED, ENOTFOUND, WRONGPASS…) says more than the
  // "Connection is closed." that connect() rejects with after it.
  let cause: Error | undefined;
  probe.on('error', (err: Error) => (cause ??= err));
  try {
    await probe.connect();
    const reply = await probe.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
    if (clusterMember && !/cluster_state:ok/.test(String(await probe.cluster('INFO')))) throw new Error(`${url}: the cluster is not ok (CLUSTER INFO)`);
  } catch (err) {
    throw cause ?? err;
  } finally {
    probe.disconnect();
  }
}

/** True when Redis answers PING within `timeoutMs`. */
export async function pingRedis(connection: string, timeoutMs = 1000): Promise<boolean> {
  return probeRedis(connection, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** Redis as a dependency an app waits for when it starts (runMain). */
export function redisAtStart(connection: string) {
  const cluster = parseRedisTarget(connection).kind === 'cluster';
  return {
    name: cluster ? 'Redis Cluster' : 'Redis',
    variable: cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL',
    where: redactedRedis(connection),
    probe: () => probeRedis(connection, 2000),
  };
}
