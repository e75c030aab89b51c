import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A fresh, empty PostgreSQL database owned by one test file. */
export interface TestDatabase {
  /** Connection URL of the new database (same server and user as the base URL). */
  url: string;
  /** Terminates every connection to it and drops it. Idempotent. */
  drop(): Promise<void>;
}

/** The server to create test databases on; `TEST_PG_URL` overrides it. */
export const TEST_PG_URL = process.env.TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates `CREATE DATABASE <prefix>_<random>` on the server of `TEST_PG_URL` (default
 * postgres://postgres@127.0.0.1:5432/test) and returns its URL, so test files never share
 * state and never touch the base database. Call `drop()` in `afterAll`.
 *
 * @param prefix lowercase letters, digits and `_`, starting with a letter (it becomes part of an identifier).
 * @example
 *   const pg = await createTestDatabase('store');
 *   const db = await openDatabase({ url: pg.url });
 *   // …
 *   await db.close();
 *   await pg.drop();
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error(`createTestDatabase: prefix "${prefix}" must match /^[a-z][a-z0-9_]{0,40}$/`);
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));

  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      await withAdmin(async (client) => {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
      });
      dropped = true;
    },
  };
}
