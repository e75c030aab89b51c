import { Config, ConfigError, loadConfig } from '@chat/config';
import { createLogger, Logger } from './logger';
import { enableDefaultMetrics } from './metrics';
import { awaitDependencies, StartupDependency, StartupError } from './startup-dependencies';

export interface Running {
  close(): Promise<void>;
}

/** How long a graceful shutdown may take before the process exits anyway (code 1). */
export const SHUTDOWN_TIMEOUT_MS = 20_000;

/**
 * The standalone entry of an app (what a container runs): parse config once, log as JSON,
 * start, and on SIGTERM/SIGINT close gracefully (a second signal, or SHUTDOWN_TIMEOUT_MS
 * passing — a dependency gone away mid-shutdown — exits at once). A bad configuration
 * prints every problem and exits 1; so does a dependency (`needs`) that does not answer
 * within STARTUP_TIMEOUT_MS, naming the variable to check.
 */
export function runMain(
  app: string,
  start: (config: Config, logger: Logger) => Promise<Running>,
  needs: (config: Config) => StartupDependency[] = () => [],
): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${app}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(app, config.logLevel, config.logFormat);
  enableDefaultMetrics();
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

  const starting = awaitDependencies(needs(config), config.startupTimeoutMs, logger).then(() => start(config, logger));
  starting.then(
    (running) => {
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) process.exit(1);
        closing = true;
        logger.info({ signal }, 'shutting down');
        setTimeout(() => {
          logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown did not finish in time: exiting');
          process.exit(1);
        }, SHUTDOWN_TIMEOUT_MS).unref();
        running.close().then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    },
    (err) => {
      if (err instanceof StartupError) {
        logger.fatal({ err: err.message }, 'failed to start');
        process.stderr.write(`${app}: ${err.message}\n`);
      } else {
        logger.fatal({ err }, 'failed to start');
      }
      process.exit(1);
    },
  );
}
