import 'reflect-metadata';
import { createLogger, redisReconnectCounter, runMain, watchDatabasePool } from '@chat/observability';
import { observeRedisConnections } from '@chat/redis';
import { openDatabase } from '@chat/store';
import { startApi } from '../../api/src/api.app';
import { startGateway } from '../../gateway/src/gateway.app';
import { startGrpcGateway } from '../../grpc-gateway/src/grpc-gateway.app';
import { startMessages } from '../../messages/src/messages.app';
import { startPresence } from '../../presence/src/presence.app';
import { startPush } from '../../push/src/push.app';
import { startSearch } from '../../search/src/search.app';
import { startWebhooks } from '../../webhooks/src/webhooks.app';
import { ensureLocalRedis } from './local-redis';

/**
 * `npm start`: every app in one process — api (with the web client), messages, presence,
 * search, push and webhooks (BullMQ on the same Redis), gateway, the gRPC door —
 * on embedded PGlite under DATA_DIR unless DATABASE_URL is set, and a private Redis when
 * none answers. The same code as the containers, only wired into one process.
 */
runMain('chat', async (config, logger) => {
  const redis = await ensureLocalRedis(config.redis.url, logger);
  const cfg = { ...config, redis: { url: redis.url } };
  observeRedisConnections(redisReconnectCounter());
  const db = await openDatabase({ url: cfg.database.url, dataDir: cfg.database.dataDir });
  watchDatabasePool(db);
  // One logger per app (a child of `logger` would write "app" twice).
  const loggerOf = (app: string) => createLogger(app, cfg.logLevel, cfg.logFormat);
  const api = await startApi(cfg, { db, logger: loggerOf('api') });
  const messages = await startMessages(cfg, { db, logger: loggerOf('messages') });
  const presence = await startPresence(cfg, { logger: loggerOf('presence') });
  const search = await startSearch(cfg, { db, logger: loggerOf('search') });
  const push = await startPush(cfg, { db, logger: loggerOf('push') });
  const webhooks = await startWebhooks(cfg, { db, logger: loggerOf('webhooks') });
  const gateway = await startGateway(cfg, loggerOf('gateway'));
  const grpc = await startGrpcGateway(cfg, loggerOf('grpc-gateway'));

  const host = cfg.host === '0.0.0.0' ? 'localhost' : cfg.host;
  process.stdout.write(
    `\n  Chat is running (${db.engine === 'pglite' ? `PGlite in ${cfg.database.dataDir}` : 'PostgreSQL'}, Redis ${redis.url})\n` +
      `    web client  http://${host}:${api.port}/\n` +
      `    HTTP API    http://${host}:${api.port}/api\n` +
      `    WebSocket   ws://${host}:${gateway.port}/ws\n` +
      `    gRPC        ${host}:${grpc.grpcPort} (proto/chat.proto)\n\n`,
  );

  return {
    close: async () => {
      // Both doors drain at once: one after the other could outlast the shutdown deadline.
      await Promise.all([gateway.close(), grpc.close()]);
      await webhooks.close();
      await push.close();
      await search.close();
      await presence.close();
      await messages.close();
      await api.close();
      await db.close();
      await redis.stop();
    },
  };
});
