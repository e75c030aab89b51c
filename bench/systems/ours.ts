/**
 * (a) Ours: the real stack as separate processes through @chat/devstack — api ×1, messages ×1,
 * gateway ×2 — on a private redis-server and a fresh PostgreSQL database bench_<random>.
 */
import { performance } from 'node:perf_hooks';
import { startStack, RedisServerHandle, startRedisServer } from '@chat/devstack';
import { mapLimit } from '../lib/bench-client';
import { onCleanup, trackPid } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import { createTempDatabase, TempDatabase } from '../lib/pg-database';
import type { DeliveryRouter } from '../lib/recorder';
import { postgresBackends } from '../lib/proc-stats';

import { RunningSystem, ServerProc, countFailures, rssOf, rssPerConnection } from '../lib/system';
import { WsBenchClient, okData } from '../lib/ws-client';

type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * The bench measures throughput, not the limiter: 10 senders each send 100–300+ messages/s,
 * far above the per-person defaults. The baseline and the ceiling have no limiter either.
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

async function guestToken(apiBase: string, username: string): Promise<string> {
  const res = await fetch(`${apiBase}/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => null)) as { token?: string } | null;
  if (!res.ok || !body?.token) throw new Error(`POST ${apiBase}/auth/guest ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function startOurs(cfg: BenchConfig, router: DeliveryRouter): Promise<RunningSystem> {
  const t0 = performance.now();
  const clients: WsBenchClient[] = [];
  let redis: RedisServerHandle | null = null;
  let db: TempDatabase | null = null;
  let stack: Stack | null = null;
  let pinger: NodeJS.Timeout | undefined;
  const untrack: (() => void)[] = [];
  const stop = async () => {
    clearInterval(pinger);
    for (const c of clients) c.close();
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
        untrack.forEach((u) => u());
      }
    }
    await redis?.stop();
    await db?.drop();
  };
  const unregister = onCleanup('ours system', stop);
  try {
    redis = await startRedisServer();
    db = await createTempDatabase(cfg.databaseAdminUrl);
    stack = await startStack({
      redisUrl: redis.url,
      databaseUrl: db.url,
      gateways: 2,
      messages: 1,
      env: { LOG_LEVEL: 'warn', ...NO_RATE_LIMITS, ...extraEnv() },
    });
    for (const p of stack.processes) untrack.push(trackPid(p.pid));
    const procs: ServerProc[] = [
      ...stack.processes.map((p) => ({ name: p.name, role: /gateway/i.test(p.name) ? ('server' as const) : ('backend' as const), pid: p.pid })),
      { name: 'redis', role: 'backend', pid: redis.pid },
    ];
    if (!procs.some((p) => p.role === 'server')) throw new Error(`no gateway among stack processes: ${stack.processes.map((p) => p.name).join(', ')}`);
    const apiBase = stack.apiUrl.replace(/\/+$/, '').endsWith('/api') ? stack.apiUrl.replace(/\/+$/, '') : `${stack.apiUrl.replace(/\/+$/, '')}/api`;
    const gateways = stack.gatewayUrls;
    const dbName = db.name;
    if (gateways.length < 1) throw new Error('stack has no gateway URLs');

    const tokens = await mapLimit(
      Array.from({ length: cfg.clients }, (_, i) => i),
      20,
      (i) => guestToken(apiBase, `b${i}`),
    );
    const before = rssOf(procs);
    for (let i = 0; i < cfg.clients; i++) {
      const base = gateways[i % gateways.length];
      const url = `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(tokens[i])}`;
      clients.push(new WsBenchClient(i, url, router, cfg.parse));
    }
    await mapLimit(clients, 50, (c) => c.connect(10_000, 3));
    const connected = rssOf(procs);
    const heartbeatMs = Number(clients[0].hello?.heartbeatMs) || 25_000;
    pinger = setInterval(() => clients.forEach((c) => c.ping()), Math.max(1000, Math.min(10_000, heartbeatMs / 2)));
    pinger.unref();

    const room = (await okData(clients[0].request('room.create', { name: 'bench' }), 'room.create')).room;
    await mapLimit(clients, 20, async (c) => {
      await okData(c.request('room.join', { roomId: room.id }), `room.join (client ${c.index})`);
      c.roomId = room.id;
    });
    return {
      key: 'ours',
      label: 'ours',
      clients,
      procs,
      // The database's share of the work: the PostgreSQL backends serving this database.
      transientProcs: () => postgresBackends(dbName).map((pid) => ({ name: `postgres-${pid}`, role: 'backend' as const, pid, group: 'postgres' })),
      setup: {
        seconds: Math.round(performance.now() - t0) / 1000,
        rssPerConnectionKb: rssPerConnection(procs, before, connected, cfg.clients),
        serverRssBeforeKb: before,
        serverRssConnectedKb: connected,
        connectFailures: countFailures(clients.map((c) => c.connectFailures)),
      },
      logs: () => Object.fromEntries(stack!.processes.map((p) => [p.name, p.logs().slice(-4000)])),
      notes: [
        `stack: ${stack.processes.map((p) => p.name).join(', ')}; gateways ${gateways.join(' ')}; PostgreSQL database ${db.name}`,
        'rate limits raised out of the way (RATE_* = 1e9); BENCH_OURS_ENV overrides',
      ],
      stop: async () => {
        unregister();
        await stop();
      },
    };
  } catch (err) {
    unregister();
    if (stack) {
      for (const p of stack.processes) {
        const state = p.child.exitCode !== null || p.child.signalCode !== null ? `exited ${p.child.exitCode ?? p.child.signalCode}` : 'running';
        console.error(`[bench] ours: ${p.name} (pid ${p.pid}, ${state}) log tail:\n${p.logs().slice(-3000)}`);
      }
    }
    await stop();
    throw err;
  }
}
