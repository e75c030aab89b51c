import type { Logger } from '@chat/observability';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import { repoRoot } from '../http/web-client';

/**
 * Serves the operators' page (static files: the token is typed into the page and sent to
 * /api/admin, never part of the page) at /admin. Only called when ADMIN_TOKEN is set.
 */
export function serveAdminPage(app: NestExpressApplication, logger: Logger): void {
  const dir = join(repoRoot(), 'apps', 'api', 'admin-page');
  app.useStaticAssets(dir, { prefix: '/admin', index: 'index.html' });
  logger.info({ dir }, 'serving the admin page at /admin');
}
