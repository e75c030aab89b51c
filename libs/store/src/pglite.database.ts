import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Database, Queryable } from './database';

/**
 * Embedded PostgreSQL (WASM) under a data directory: the zero-setup engine for `npm start`.
 * One connection, so transactions are serialized by PGlite itself — which is also why a
 * query inside a transaction must go through it (the ambient transaction), never around it.
 */
export class PgliteDatabase implements Database {
  readonly engine = 'pglite' as const;
  private readonly ambient = new AsyncLocalStorage<Queryable>();

  private constructor(private readonly db: PGlite) {}

  /** `dataDir` undefined keeps everything in memory (tests). */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    const db = await PGlite.create(dataDir, { extensions: { pg_trgm } });
    return new PgliteDatabase(db);
  }

  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    const tx = this.ambient.getStore();
    if (tx) return tx.query<T>(sql, params);
    return (await this.db.query<T>(sql, params)).rows;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const outer = this.ambient.getStore();
    if (outer) return fn(outer);
    return this.db.transaction(async (raw) => {
      const tx: Queryable = { query: async <R>(sql: string, params?: unknown[]) => (await raw.query<R>(sql, params)).rows };
      return this.ambient.run(tx, () => fn(tx));
    });
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
