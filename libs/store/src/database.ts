/**
 * The port every repository talks to: PostgreSQL (`pg`) or embedded PGlite behind one
 * shape. Parameters are positional ($1…); rows come back as plain objects.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. The
   * transaction is ambient: `query` and nested `transaction` calls made while `fn` runs (in
   * its async context) join it, so repositories compose into one atomic unit.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /** Connection pool use, for the operator's metrics; absent on engines without a pool (PGlite). */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  /** Clients open (idle + checked out). */
  total: number;
  idle: number;
  /** Queries and transactions queued for a free client: above 0 for long, the pool is too small or the database slow. */
  waiting: number;
}
