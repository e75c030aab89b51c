import { Config } from '@chat/config';
import { Logger, redisReconnectCounter, runMain, watchDatabasePool } from '@chat/observability';
import { observeRedisConnections, redisAtStart } from '@chat/redis';
import { Database, databaseAtStart, openDatabase } from '@chat/store';

/** An app that runs on Redis and the database (api, messages, search, push). */
export type DatabaseAppStart = (config: Config, deps: { db: Database; logger: Logger }) => Promise<{ port: number; close(): Promise<void> }>;

/**
 * The standalone entry of such an app (what its container runs): wait for Redis and
 * PostgreSQL (bounded, naming the variable when they do not answer), open the database
 * (migrations run under an advisory lock), start, and on shutdown close the app before the
 * database.
 */
export function runDatabaseApp(app: string, start: DatabaseAppStart): void {
  runMain(
    app,
    async (config, logger) => {
      observeRedisConnections(redisReconnectCounter());
      const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
      const unwatch = watchDatabasePool(db);
      const running = await start(config, { db, logger });
      logger.info({ port: running.port, engine: db.engine }, `${app} listening`);
      return {
        close: async () => {
          await running.close();
          unwatch();
          await db.close();
        },
      };
    },
    (config) => [redisAtStart(config.redis.url), ...databaseAtStart(config.database)],
  );
}
