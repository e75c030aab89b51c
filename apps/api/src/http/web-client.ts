import type { Config } from '@chat/config';
import type { Logger } from '@chat/observability';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The repository root: the nearest folder above this file with a package.json. Works from
 * the sources (apps/api/src) and from the build (dist/apps/api/src) alike.
 */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export function webDirOf(config: Config): string {
  return config.api.webDir ? resolve(config.api.webDir) : join(repoRoot(), 'apps', 'web', 'public');
}

/** Serves the static web client at `/` when its folder exists; the api works without it. */
export function serveWebClient(app: NestExpressApplication, dir: string, logger: Logger): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    logger.info({ dir }, 'no web client folder: not serving one');
    return;
  }
  app.useStaticAssets(dir, { index: 'index.html' });
  logger.info({ dir }, 'serving the web client');
}
