import type { Config } from '@chat/config';
import { enableDefaultMetrics, Logger, PinoNestLogger } from '@chat/observability';
import { createRedis } from '@chat/redis';
import type { Database } from '@chat/store';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { ApiDeps, ApiModule } from './api.module';
import { corsOptionsOf } from './http/cors';
import { httpMetricsMiddleware } from './http/http-metrics.middleware';
import { rejectControlCharacters } from './http/reject-control-characters';
import { securityHeaders } from './http/security-headers';
import { serveWebClient, webDirOf } from './http/web-client';
import { serveAdminPage } from './admin/admin-page';
import { SessionAuthenticator } from '@chat/accounts';
import { RunningDoorGateway, SessionPool, startDoorGateway } from '@chat/door';
import { ChatReads, GraphqlDoor, graphqlWsServer, GraphqlWsServer } from '@chat/graphql';
import { MAX_FRAME_BYTES } from '@chat/protocol';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GRAPHQL_READS } from './graphql/graphql.tokens';

export interface RunningApi {
  /** The port actually bound (differs from config when it asked for 0). */
  port: number;
  /** Stops accepting requests, closes open connections and its Redis connection; the database stays open. */
  close(): Promise<void>;
}

/** Starts the HTTP api on `config.api.port` at `config.host`. */
export async function startApi(config: Config, deps: { db: Database; logger: Logger }): Promise<RunningApi> {
  enableDefaultMetrics();
  // Throttle counters and token revocations. A request fails (503) rather than wait for a
  // Redis that is down: one retry, then the error.
  const redis = createRedis(config.redis.url, 'api', { maxRetriesPerRequest: 1 }, deps.logger);
  let graphqlGateway: RunningDoorGateway | undefined;
  let graphqlSessions: SessionPool | undefined;
  let app: NestExpressApplication;
  try {
    // The GraphQL door's sessions live on a gateway of their own in this process (libs/door):
    // its mutations and subscriptions go through the streams and channels a WebSocket's do.
    if (config.graphql.enabled) {
      const gateway = (graphqlGateway = await startDoorGateway(config, deps.logger, { idPrefix: 'graphql' }));
      graphqlSessions = new SessionPool((token) => gateway.openSession(token, { events: false }), config.door.sessionIdleMs);
    }
    app = await createApp(config, { ...deps, redis, graphqlDoor: graphqlGateway && graphqlSessions && { gateway: graphqlGateway, sessions: graphqlSessions } });
  } catch (err) {
    graphqlSessions?.close();
    await graphqlGateway?.close();
    redis.disconnect();
    throw err;
  }
  const graphqlWs = graphqlGateway ? attachGraphqlWs(app, graphqlGateway, deps.logger) : undefined;
  // Sockets first (their sessions end with them), then HTTP, then the pooled sessions and the
  // door's gateway, then Redis.
  const close = async () => {
    await graphqlWs?.close();
    await app.close();
    graphqlSessions?.close();
    await graphqlGateway?.close();
    redis.disconnect();
  };
  try {
    await app.listen(config.api.port, config.host);
  } catch (err) {
    // e.g. EADDRINUSE: release what Nest built before reporting it.
    await close();
    throw err;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { port, close };
}

/** graphql-transport-ws on the api's own HTTP server, path /graphql; any other upgrade is refused. */
function attachGraphqlWs(app: NestExpressApplication, gateway: RunningDoorGateway, logger: Logger): GraphqlWsServer {
  const sessions = app.get(SessionAuthenticator);
  const server = graphqlWsServer({
    door: app.get(GraphqlDoor),
    reads: app.get<ChatReads>(GRAPHQL_READS),
    authenticate: (token) => sessions.userOfToken(token),
    openSession: (token) => gateway.openSession(token),
    logger,
    maxPayloadBytes: MAX_FRAME_BYTES,
  });
  (app.getHttpServer() as Server).on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://api').pathname === '/graphql') return server.handleUpgrade(request, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return server;
}

async function createApp(config: Config, deps: Omit<ApiDeps, 'config'>): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    ApiModule.forRoot({ config, ...deps }),
    new ExpressAdapter(),
    {
      logger: new PinoNestLogger(deps.logger),
      // Throw instead of exiting the process: the caller decides (tests, all-in-one).
      abortOnError: false,
      // Keep-alive sockets would otherwise hold close() open until they time out.
      forceCloseConnections: true,
    },
  );
  app.disable('x-powered-by');
  // request.ip: the socket's address, or X-Forwarded-For's only behind a proxy we were told to trust.
  app.set('trust proxy', config.http.trustProxy);
  // Order matters: these run before Nest's body parsers and routes, which init() adds.
  app.use(httpMetricsMiddleware());
  app.use(securityHeaders(config));
  app.use(rejectControlCharacters());
  // Cross-origin callers only from CORS_ORIGINS; by default the web client's own origin only.
  const cors = corsOptionsOf(config);
  if (cors) app.enableCors(cors);
  serveWebClient(app, webDirOf(config), deps.logger);
  if (config.admin.token) serveAdminPage(app, deps.logger);
  return app;
}
