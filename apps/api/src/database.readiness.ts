import type { ReadinessCheck } from '@chat/observability';
import type { Database } from '@chat/store';

const TIMEOUT_MS = 2000;

/** Ready while the database answers `SELECT 1` within two seconds (a hung pool is not ready). */
export function databaseAnswers(db: Database): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), TIMEOUT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([db.query('SELECT 1').then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
