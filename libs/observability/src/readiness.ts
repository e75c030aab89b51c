/**
 * What `/readyz` asks: each dependency an app needs to serve (Redis, the database, the
 * shards it owns…). `/healthz` only says the process runs; `/readyz` says it can work.
 */
export type ReadinessCheck = () => Promise<boolean> | boolean;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): this {
    this.checks.set(name, check);
    return this;
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = false;
        }
      }),
    );
    return { ready: Object.values(checks).every(Boolean), checks };
  }
}
