import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool, PoolConfig } from 'pg';
import { Database, Queryable } from './database';

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
    return (await this.pool.query(sql, params)).rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const outer = this.ambient.getStore();
    if (outer) return fn(outer);
    const client = await this.pool.connect();
    const tx: Queryable = { query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[] };
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
}
