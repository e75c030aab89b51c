import { Database, Queryable } from '@chat/store';
import { deferred, Deferred } from './deferred';

/**
 * A database whose next message INSERT waits until the test lets it go: a shard owner
 * "paused" (GC, CPU throttling, SIGSTOP) with a batch in hand, after its own local checks.
 * Arm it with `pauseNextInsert = deferred()`; `paused` resolves once the INSERT is held.
 */
export class PausingDatabase implements Database {
  readonly engine = 'postgres' as const;
  pauseNextInsert?: Deferred<void>;
  paused = deferred<void>();

  constructor(private readonly inner: Database) {}

  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    if (this.pauseNextInsert && sql.includes('INSERT INTO messages')) {
      const resume = this.pauseNextInsert;
      this.pauseNextInsert = undefined;
      this.paused.resolve();
      await resume.promise;
    }
    return this.inner.query<T>(sql, params);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inner.transaction(fn);
  }

  exec(sql: string): Promise<void> {
    return this.inner.exec(sql);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
