import 'reflect-metadata';
import { runMain } from '@chat/observability';
import { openDatabase } from '@chat/store';
import { startMessages } from './messages.app';

runMain('messages', async (config, logger) => {
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  const running = await startMessages(config, { db, logger });
  logger.info({ port: running.port, engine: db.engine }, 'messages listening');
  return {
    close: async () => {
      await running.close();
      await db.close();
    },
  };
});
