import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Database } from './database';
import { migrate } from './migrator';
import { PgDatabase } from './pg.database';
import { PgliteDatabase } from './pglite.database';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; `memory` keeps it in memory. */
  dataDir?: string;
  poolSize?: number;
}

/** Opens the configured engine and brings its schema up to date. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  let db: Database;
  if (options.url) {
    db = new PgDatabase(options.url, { max: options.poolSize ?? 10 });
  } else if (!options.dataDir || options.dataDir === 'memory') {
    db = await PgliteDatabase.open();
  } else {
    const dir = resolve(options.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    db = await PgliteDatabase.open(dir);
  }
  await migrate(db);
  return db;
}
