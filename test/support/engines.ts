import { User, newUserId } from '@chat/protocol';
import { Database, openDatabase, PgDatabase, PgliteDatabase, UserRepository } from '@chat/store';
import { createTestDatabase } from './postgres';

/** The two engines libs/store runs on; suites that touch the database run on both. */
export type EngineName = 'pglite' | 'postgres';
export const ENGINE_NAMES: EngineName[] = ['pglite', 'postgres'];

/**
 * Databases a suite opens on either engine — embedded PGlite in memory, or a fresh database
 * on the PostgreSQL server of TEST_PG_URL — all closed (and dropped) by `closeAll`, newest first.
 */
export class TestDatabases {
  private readonly cleanups: (() => Promise<void>)[] = [];

  /** A database as the apps open it: `openDatabase`, migrations applied. */
  async open(engine: EngineName, prefix: string, poolSize = 4): Promise<Database> {
    if (engine === 'pglite') return this.track(await openDatabase({ dataDir: 'memory' }));
    const target = await createTestDatabase(prefix);
    this.cleanups.push(() => target.drop());
    return this.track(await openDatabase({ url: target.url, poolSize }));
  }

  /** An empty database with no schema, opened without migrating. */
  async fresh(engine: EngineName, prefix: string): Promise<Database> {
    if (engine === 'pglite') return this.track(await PgliteDatabase.open());
    const target = await createTestDatabase(prefix);
    this.cleanups.push(() => target.drop());
    return this.track(new PgDatabase(target.url, { max: 4 }));
  }

  async closeAll(): Promise<void> {
    while (this.cleanups.length > 0) await this.cleanups.pop()!();
  }

  private track(db: Database): Database {
    this.cleanups.push(() => db.close());
    return db;
  }
}

let users = 0;
/** A user with a name no other test uses (usernames are unique per database). */
export function newTestUser(repo: UserRepository, name = 'user'): Promise<User> {
  return repo.create({ id: newUserId(), username: `${name}${++users}_${Math.random().toString(36).slice(2, 8)}`, passwordHash: null });
}
