import type { Config } from '@chat/config';
import { enableDefaultMetrics, Logger, PinoNestLogger } from '@chat/observability';
import type { Database } from '@chat/store';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { ApiModule } from './api.module';
import { httpMetricsMiddleware } from './http/http-metrics.middleware';
import { serveWebClient, webDirOf } from './http/web-client';

export interface RunningApi {
  /** The port actually bound (differs from config when it asked for 0). */
  port: number;
  /** Stops accepting requests and closes open connections; the database stays open. */
  close(): Promise<void>;
}

/** Starts the HTTP api on `config.api.port` at `config.host`. */
export async function startApi(config: Config, deps: { db: Database; logger: Logger }): Promise<RunningApi> {
  enableDefaultMetrics();
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
  // Order matters: these run before Nest's body parsers and routes, which init() adds.
  app.use(httpMetricsMiddleware());
  // The web client may be served from another origin (a CDN, a dev server); auth is a bearer token, not cookies.
  app.enableCors();
  serveWebClient(app, webDirOf(config), deps.logger);

  try {
    await app.listen(config.api.port, config.host);
  } catch (err) {
    // e.g. EADDRINUSE: release what Nest built before reporting it.
    await app.close();
    throw err;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  deps.logger.info({ port, host: config.host }, 'api listening');
  return { port, close: () => app.close() };
}
