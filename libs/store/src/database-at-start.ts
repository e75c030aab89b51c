import { redactedUrl } from '@chat/config';
import { Client } from 'pg';

/**
 * PostgreSQL as a dependency an app waits for when it starts (runMain): a connection and
 * `SELECT 1`. None for embedded PGlite (no URL): there is nothing to wait for.
 */
export function databaseAtStart({ url }: { url?: string }) {
  if (!url) return [];
  return [
    {
      name: 'PostgreSQL',
      variable: 'DATABASE_URL',
      where: redactedUrl(url),
      probe: async () => {
        const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    },
  ];
}
