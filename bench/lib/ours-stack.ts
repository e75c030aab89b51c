/**
 * The real stack for the benches that measure ours (e2e, connections): a private redis-server,
 * a fresh PostgreSQL database and the apps started by @chat/devstack, with the rate limits
 * raised out of the way; plus guest tokens from its API.
 */
import { startRedisServer, startStack, RedisServerHandle, Stack, StackOptions } from '@chat/devstack';
import { trackPid } from './cleanup';
import { createTempDatabase, TempDatabase } from './pg-database';

/**
 * The benches measure throughput and idle sockets, not the limiter: 10 senders each send
 * 100–300+ messages/s, far above the per-person defaults, and a burst of hellos should not meet
 * a limit either. The baseline and the ceiling have no limiter.
 */
const NO_RATE_LIMITS: Record<string, string> = {
  RATE_CONN_FRAMES_PER_SEC: '1000000000',
  RATE_CONN_FRAMES_BURST: '1000000000',
  RATE_CONN_SENDS_PER_SEC: '1000000000',
  RATE_CONN_SENDS_BURST: '1000000000',
  RATE_USER_FRAMES: '1000000000',
  RATE_USER_SENDS: '1000000000',
};

/** Extra env for the stack's processes: BENCH_OURS_ENV="K=V,K2=V2" (wins over the above). */
function extraEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (process.env.BENCH_OURS_ENV ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Holds what has been started so far, so that `stop` (registered as a cleanup before `start`)
 * undoes a partial start as well as a full one.
 */
export class OursStack {
  redis: RedisServerHandle | null = null;
  db: TempDatabase | null = null;
  stack: Stack | null = null;
  private readonly untrack: (() => void)[] = [];

  /** Starts redis, the database and the stack (`counts`: gateways, messages, presence, search, push; `env`: the bench's own settings). */
  async start(
    databaseAdminUrl: string,
    counts: Pick<StackOptions, 'gateways' | 'messages' | 'presence' | 'search' | 'push' | 'grpcGateways'>,
    env: Record<string, string> = {},
  ): Promise<Stack> {
    this.redis = await startRedisServer();
    this.db = await createTempDatabase(databaseAdminUrl);
    this.stack = await startStack({
      redisUrl: this.redis.url,
      databaseUrl: this.db.url,
      ...counts,
      env: { LOG_LEVEL: 'warn', ...NO_RATE_LIMITS, ...env, ...extraEnv() },
    });
    for (const p of this.stack.processes) this.untrack.push(trackPid(p.pid));
    return this.stack;
  }

  /** The API base URL, ending in /api. */
  apiBase(): string {
    const root = this.stack!.apiUrl.replace(/\/+$/, '');
    return root.endsWith('/api') ? root : `${root}/api`;
  }

  async stop(): Promise<void> {
    const stack = this.stack;
    if (stack) {
      try {
        await stack.stop();
      } finally {
        for (const p of stack.processes) {
          try {
            p.kill('SIGKILL');
          } catch {
            /* gone */
          }
        }
        this.untrack.forEach((u) => u());
      }
    }
    await this.redis?.stop();
    await this.db?.drop();
  }
}

/**
 * POST /api/auth/guest → the guest's JWT. `brief`: an error message without URL and body, so
 * that failures group by status (connections counts them by reason).
 */
export async function guestToken(apiBase: string, username: string, brief = false): Promise<string> {
  const res = await fetch(`${apiBase}/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => null)) as { token?: string } | null;
  if (!res.ok || !body?.token) {
    throw new Error(brief ? `POST /auth/guest: ${res.status}` : `POST ${apiBase}/auth/guest ${username}: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}
