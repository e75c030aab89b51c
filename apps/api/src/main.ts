import { loadConfig } from '@chat/config';
import { createLogger } from '@chat/observability';
import { openDatabase } from '@chat/store';
import { startApi } from './api.app';

/** Standalone entry of the api app (`npm run start:api`, one container). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('api', config.logLevel);
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  const api = await startApi(config, { db, logger });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await api.close();
      await db.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad config): stderr is the one channel sure to work.
  console.error(err);
  process.exit(1);
});
