/**
 * `npm run search:reindex`: rebuilds the search index from the messages table (the system of
 * record), while the index stays in service — events applied meanwhile are not undone.
 * Reads DATABASE_URL / DATA_DIR like the apps do.
 */
import { loadConfig } from '@chat/config';
import { reindexSearch } from '@chat/search';
import { openDatabase } from '@chat/store';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  try {
    const started = Date.now();
    const result = await reindexSearch(db, {
      onBatch: (progress) => process.stdout.write(`\r  ${progress.messages} messages indexed, ${progress.removed} stale rows removed`),
    });
    console.log(`\nsearch index rebuilt: ${result.messages} messages in ${result.batches} batches, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(String((err as Error).message ?? err));
  process.exitCode = 1;
});
