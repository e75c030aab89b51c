import type { Config } from '@chat/config';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';

/**
 * CORS for the origins of CORS_ORIGINS only; none configured means none allowed (the web
 * client is served from this origin). Auth is a bearer token, so no credentials mode.
 */
export function corsOptionsOf(config: Config): CorsOptions | undefined {
  if (config.http.corsOrigins.length === 0) return undefined;
  return {
    origin: config.http.corsOrigins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  };
}
