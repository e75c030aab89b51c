import { Config, EnvSchema, toConfig } from './config.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment; throws one error listing every bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // Empty strings mean "unset", as in most twelve-factor tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return toConfig(result.data);
}

let cached: Config | undefined;

/** The process configuration, parsed from process.env once. */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
