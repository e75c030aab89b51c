import { Config, ConfigSources, EnvSchema, toConfig } from './config.schema';
import { devSecretFile } from './dev-secret-file';
import { PROCESS_EPHEMERAL_SECRET } from './jwt-secret';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment; throws one error listing every bad variable. */
export function parseConfig(
  env: NodeJS.ProcessEnv,
  sources: ConfigSources = { devSecret: () => PROCESS_EPHEMERAL_SECRET },
): Config {
  // Empty strings mean "unset", as in most twelve-factor tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  try {
    return toConfig(result.data, sources);
  } catch (err) {
    // e.g. the secret file under DATA_DIR cannot be written or holds a bad secret.
    throw new ConfigError([`JWT_SECRET: unset, and ${(err as Error).message}`]);
  }
}

let cached: Config | undefined;

/**
 * The process configuration, parsed from process.env once. Without JWT_SECRET (never in
 * production) the secret is generated on first start and kept in DATA_DIR/jwt-secret.
 */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env, {
    // DATA_DIR=memory (PGlite in memory) keeps nothing on disk, the secret neither.
    devSecret: (dataDir) => (dataDir === 'memory' ? PROCESS_EPHEMERAL_SECRET : devSecretFile(dataDir)),
  });
  return cached;
}

/** A URL fit for logs and error messages: its password replaced by `***`. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}
