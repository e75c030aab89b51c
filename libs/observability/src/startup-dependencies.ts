import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from './logger';

/** Something an app cannot start without (Redis, PostgreSQL), and the variable that names it. */
export interface StartupDependency {
  name: string;
  variable: string;
  /** Where it was looked for, password redacted. */
  where: string;
  /** Resolves when it answers; rejects with why not. */
  probe(): Promise<void>;
}

/** A dependency still unreachable when the start budget ran out. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Waits for every dependency, retrying with backoff (a database starting next to the app is
 * normal), but for `budgetMs` at most: then fails naming the variable to check, instead of an
 * app that hangs at start retrying a wrong URL forever.
 */
export async function awaitDependencies(dependencies: StartupDependency[], budgetMs: number, logger: Logger): Promise<void> {
  await Promise.all(dependencies.map((dependency) => awaitOne(dependency, budgetMs, logger)));
}

async function awaitOne(dependency: StartupDependency, budgetMs: number, logger: Logger): Promise<void> {
  const { name, variable, where } = dependency;
  const deadline = Date.now() + budgetMs;
  let delay = 200;
  for (let attempt = 1; ; attempt++) {
    try {
      await dependency.probe();
      if (attempt > 1) logger.info({ [variable]: where }, `${name} answers`);
      return;
    } catch (err) {
      const reason = (err as Error).message || String(err);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StartupError(`cannot reach ${name} at ${variable}=${where} (${reason}) after ${(budgetMs / 1000).toFixed(budgetMs < 10_000 ? 1 : 0)} s: check ${variable}`);
      }
      if (attempt === 1 || attempt % 5 === 0) logger.warn({ [variable]: where, err: reason, attempt }, `waiting for ${name}`);
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
