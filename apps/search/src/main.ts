import 'reflect-metadata';
import { runMain } from '@chat/observability';
import { openDatabase } from '@chat/store';
import { startSearch } from './search.app';

runMain('search', async (config, logger) => {
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  const running = await startSearch(config, { db, logger });
  logger.info({ port: running.port, engine: db.engine }, 'search listening');
  return {
    close: async () => {
      await running.close();
      await db.close();
    },
  };
});
