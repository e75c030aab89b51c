import { Counter, Gauge } from 'prom-client';
import { oncePerProcess } from './metrics';

/** What a database pool reports (libs/store PoolStats, by shape: no dependency on the store). */
interface PooledDatabase {
  poolStats?(): { total: number; idle: number; waiting: number };
}

/**
 * The app's view of its dependencies: Redis reconnects per connection name, and the
 * PostgreSQL pool's clients (sampled on scrape). libs/redis and libs/store have no
 * prom-client: they expose a hook (observeRedisConnections) and poolStats(), wired here.
 */
const dependencyMetrics = oncePerProcess(() => {
  const pools = new Set<PooledDatabase>();
  const reconnects = new Counter({
    name: 'chat_redis_reconnects_total',
    help: 'Reconnect attempts of a Redis connection (by connection name, as in CLIENT LIST): Redis restarting, failing over or unreachable',
    labelNames: ['connection'],
  });
  new Gauge({
    name: 'chat_pg_pool_clients',
    help: 'PostgreSQL pool clients by state: total (open), idle, waiting (callers queued for a client)',
    labelNames: ['state'],
    collect() {
      const sum = { total: 0, idle: 0, waiting: 0 };
      for (const db of pools) {
        const stats = db.poolStats?.();
        if (!stats) continue;
        sum.total += stats.total;
        sum.idle += stats.idle;
        sum.waiting += stats.waiting;
      }
      for (const [state, value] of Object.entries(sum)) this.set({ state }, value);
    },
  });
  return { reconnects, pools };
});

/** An observer for libs/redis observeRedisConnections that counts reconnects in Prometheus. */
export function redisReconnectCounter(): { reconnecting(connection: string): void } {
  const { reconnects } = dependencyMetrics();
  return { reconnecting: (connection) => reconnects.inc({ connection }) };
}

/** Reports the pool of `db` (when it has one) until the returned function is called. */
export function watchDatabasePool(db: PooledDatabase): () => void {
  const { pools } = dependencyMetrics();
  pools.add(db);
  return () => pools.delete(db);
}
