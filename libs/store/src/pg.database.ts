import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Pool, PoolConfig, QueryConfig } from 'pg';
import { Database, PoolStats, Queryable } from './database';

/** PostgreSQL through a `pg` pool: the production engine. */
export class PgDatabase implements Database {
  readonly engine = 'postgres' as const;
  private readonly pool: Pool;
  /** The transaction the current async context runs in, if any. */
  private readonly ambient = new AsyncLocalStorage<Queryable>();

  constructor(url: string, options: PoolConfig = {}) {
    this.pool = new Pool({ connectionString: url, max: 10, ...options });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    const tx = this.ambient.getStore();
    if (tx) return tx.query<T>(sql, params);
    return (await this.pool.query(prepared(sql, params))).rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const outer = this.ambient.getStore();
    if (outer) return fn(outer);
    const client = await this.pool.connect();
    const tx: Queryable = { query: async <R>(sql: string, params?: unknown[]) => (await client.query(prepared(sql, params))).rows as R[] };
    try {
      await client.query('BEGIN');
      const result = await this.ambient.run(tx, () => fn(tx));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  poolStats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }
}

const names = new Map<string, string>();

/**
 * Every parameterized statement of this code base is a fixed text, so each becomes a named
 * prepared statement: parsed and planned once per connection instead of on every call (the
 * batch insert is a large CTE; at small batches its planning cost rivalled its execution).
 */
function prepared(sql: string, params?: unknown[]): QueryConfig {
  if (!params || params.length === 0) return { text: sql };
  let name = names.get(sql);
  if (!name) names.set(sql, (name = `chat_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`));
  return { name, text: sql, values: params };
}
