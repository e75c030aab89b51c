import 'reflect-metadata';
import { runMain } from '@chat/observability';
import { openDatabase } from '@chat/store';
import { startPush } from './push.app';

runMain('push', async (config, logger) => {
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  const running = await startPush(config, { db, logger });
  logger.info({ port: running.port, engine: db.engine }, 'push listening');
  return {
    close: async () => {
      await running.close();
      await db.close();
    },
  };
});
