/**
 * bench:connections: the one server process each system's idle sockets connect to.
 *  - socketio: one `socketio-server.ts` process (Socket.IO 4 + redis-streams adapter) on a private redis-server;
 *  - ours: startStack (api, messages, presence, ONE gateway) on a private redis-server and a fresh
 *    PostgreSQL database; sockets authenticate with `?token=` guest tokens and wait for `hello`;
 *  - uws: one bare `uws-server.ts` process.
 */
import { startRedisServer } from '@chat/devstack';
import { startGuarded } from '../lib/cleanup';
import type { SystemKey } from '../lib/config';
import { CloseTally, IdleSocket, openIdleSio, openIdleWs, reasonOf } from '../lib/idle-sockets';
import { guestToken, OursStack } from '../lib/ours-stack';
import { spawnBenchServer, NodeChild } from '../lib/spawn-node';
import type { ServerProc } from '../lib/system';

export interface IdleTargetOptions {
  databaseAdminUrl: string;
  connectTimeoutMs: number;
  /** 'distinct': one guest user per socket; a number: that many users, sockets share their tokens round-robin. */
  users: 'distinct' | number;
  tokenSeconds: number;
  tokenConcurrency: number;
  log: (msg: string) => void;
}

export interface PrepareReport {
  seconds: number;
  /** Distinct users behind the sockets (for ours: guest accounts = tokens). */
  distinctUsers: number;
  failures: Record<string, number>;
  notes: string[];
}

export interface IdleTarget {
  key: SystemKey;
  label: string;
  notes: string[];
  /** The process whose RSS is measured. */
  server: ServerProc;
  /** Everything else the system runs (reported, not measured per connection). */
  backends: ServerProc[];
  /** Per-socket credentials for `n` sockets (ours: guest tokens), bounded in time (also by `deadline`, Date.now() ms). */
  prepare(n: number, deadline: number): Promise<PrepareReport>;
  open(i: number, localAddress: string, closes: CloseTally): Promise<IdleSocket>;
  /** What the server itself says (ours: /healthz connections, V8 heap from /metrics). */
  serverView(): Promise<Record<string, number | string | null>>;
  /** Tail of each process's own log, when the system keeps one (ours: devstack). */
  logs?(): Record<string, string>;
  stop(): Promise<void>;
}

const distinct = (n: number): PrepareReport => ({ seconds: 0, distinctUsers: n, failures: {}, notes: [] });

export async function startIdleSocketIo(opts: IdleTargetOptions): Promise<IdleTarget> {
  const redis = await startRedisServer();
  let server: NodeChild | null = null;
  const stop = async () => {
    await server?.stop();
    await redis.stop();
  };
  return startGuarded<IdleTarget>('socket.io server', stop, async () => {
    const spawned = await spawnBenchServer('sio-0', 'socketio-server.js', { REDIS_URL: redis.url, SERVER_ID: 'sio-0' });
    server = spawned.child;
    const url = `http://127.0.0.1:${spawned.port}`;
    return {
      key: 'socketio',
      label: 'socket.io+adapter',
      notes: [
        'one socketio-server.ts process: socket.io 4.8 + @socket.io/redis-streams-adapter 0.3 (defaults) on a private redis-server',
        'clients: socket.io-client, transports [websocket], perMessageDeflate false, auth { username } checked by a server middleware',
      ],
      server: { name: 'sio-0', role: 'server', pid: server.pid },
      backends: [{ name: 'redis', role: 'backend', pid: redis.pid }],
      prepare: async (n) => distinct(n),
      open: (i, addr, closes) => openIdleSio(url, addr, `s${i}`, opts.connectTimeoutMs, closes),
      serverView: async () => ({}),
    };
  });
}

export async function startIdleUws(opts: IdleTargetOptions): Promise<IdleTarget> {
  let server: NodeChild | null = null;
  const stop = async () => {
    await server?.stop();
  };
  return startGuarded<IdleTarget>('bare uWS server', stop, async () => {
    const spawned = await spawnBenchServer('uws', 'uws-server.js');
    server = spawned.child;
    return {
      key: 'uws',
      label: 'bare uWS',
      notes: ['one uws-server.ts process: uWebSockets.js, idleTimeout 120 s, no Redis, no database, no auth check; clients wait for hello'],
      server: { name: 'uws', role: 'server', pid: server.pid },
      backends: [],
      prepare: async (n) => distinct(n),
      open: (i, addr, closes) => openIdleWs(`ws://127.0.0.1:${spawned.port}/ws?token=u${i}`, addr, opts.connectTimeoutMs, closes),
      serverView: async () => ({}),
    };
  });
}

/** Reads a few prom-client default metrics (process-wide) from the gateway's /metrics. */
async function gatewayView(httpBase: string): Promise<Record<string, number | string | null>> {
  const out: Record<string, number | string | null> = {};
  try {
    const health = (await (await fetch(`${httpBase}/healthz`, { signal: AbortSignal.timeout(5000) })).json()) as { connections?: number };
    out.healthzConnections = health.connections ?? null;
  } catch (err) {
    out.healthzError = reasonOf(err);
  }
  try {
    const text = await (await fetch(`${httpBase}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const metric = (name: string) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      return m ? Math.round(Number(m[1]) / 1024) : null;
    };
    out.heapUsedKb = metric('nodejs_heap_size_used_bytes');
    out.heapTotalKb = metric('nodejs_heap_size_total_bytes');
    out.externalKb = metric('nodejs_external_memory_bytes');
  } catch (err) {
    out.metricsError = reasonOf(err);
  }
  return out;
}

export async function startIdleOurs(opts: IdleTargetOptions): Promise<IdleTarget> {
  const ours = new OursStack();
  const stop = () => ours.stop();
  const printLogs = () => {
    for (const p of ours.stack?.processes ?? []) opts.log(`ours: ${p.name} (pid ${p.pid}) log tail:\n${p.logs().slice(-3000)}`);
  };
  return startGuarded<IdleTarget>(
    'ours stack',
    stop,
    async () => {
      const stack = await ours.start(opts.databaseAdminUrl, { gateways: 1, messages: 1, presence: 1 });
      const redis = ours.redis!;
      const db = ours.db!;
      const gateway = stack.processes.find((p) => /^gateway/.test(p.name));
      if (!gateway || stack.gatewayUrls.length !== 1) throw new Error(`expected one gateway, got: ${stack.processes.map((p) => p.name).join(', ')}`);
      const gatewayUrl = stack.gatewayUrls[0];
      const apiBase = ours.apiBase();
      const httpBase = `http://127.0.0.1:${gateway.port}`;
      let tokens: string[] = [];
      return {
        key: 'ours',
        label: 'ours',
        notes: [
          `stack: ${stack.processes.map((p) => p.name).join(', ')}, private redis-server, PostgreSQL database ${db.name}; measured: ${gateway.name} (${gatewayUrl})`,
          'clients: ws, perMessageDeflate false, ?token=<guest JWT>, each waits for hello (user channel subscribed, session synced); rate limits raised (RATE_* = 1e9)',
        ],
        server: { name: gateway.name, role: 'server', pid: gateway.pid },
        backends: [
          ...stack.processes.filter((p) => p !== gateway).map((p) => ({ name: p.name, role: 'backend' as const, pid: p.pid })),
          { name: 'redis', role: 'backend', pid: redis.pid },
        ],
        prepare: async (n, runDeadline) => {
          const t0 = Date.now();
          const want = opts.users === 'distinct' ? n : Math.max(1, Math.min(n, opts.users));
          const deadline = Math.min(t0 + opts.tokenSeconds * 1000, runDeadline);
          const got: string[] = [];
          const failures: Record<string, number> = {};
          let failed = 0;
          let next = 0;
          let lastLog = t0;
          const worker = async () => {
            while (next < want && Date.now() < deadline && failed < 100) {
              const i = next++;
              try {
                got.push(await guestToken(apiBase, `c${i}`, true));
              } catch (err) {
                const why = reasonOf(err);
                failures[why] = (failures[why] ?? 0) + 1;
                failed++;
              }
              if (Date.now() - lastLog >= 5000) {
                lastLog = Date.now();
                opts.log(`ours: ${got.length}/${want} guest tokens`);
              }
            }
          };
          await Promise.all(Array.from({ length: Math.min(opts.tokenConcurrency, want) }, worker));
          if (got.length === 0) throw new Error(`no guest token: ${JSON.stringify(failures)}`);
          tokens = got;
          const seconds = (Date.now() - t0) / 1000;
          const notes: string[] = [];
          if (got.length < n) {
            const why = opts.users !== 'distinct' ? `BENCH_USERS=${opts.users}` : got.length < want ? `guest creation stopped after ${Math.round(seconds)} s (${failed} failures; budget BENCH_TOKEN_SECONDS=${opts.tokenSeconds} or the run's deadline)` : '';
            notes.push(`${n} sockets share ${got.length} guest user${got.length === 1 ? '' : 's'} round-robin (${why}): the gateway holds fewer user channels than with one user per socket`);
          } else {
            notes.push(`one guest user per socket: ${got.length} tokens from POST /api/auth/guest (${opts.tokenConcurrency} at a time, ${Math.round(got.length / Math.max(seconds, 0.001))}/s)`);
          }
          return { seconds, distinctUsers: got.length, failures, notes };
        },
        open: (i, addr, closes) => openIdleWs(`${gatewayUrl}?token=${encodeURIComponent(tokens[i % tokens.length])}`, addr, opts.connectTimeoutMs, closes),
        serverView: () => gatewayView(httpBase),
        logs: () => Object.fromEntries(stack.processes.map((p) => [p.name, p.logs().slice(-3000)])),
      };
    },
    printLogs,
  );
}

export const idleStarters: Record<SystemKey, (opts: IdleTargetOptions) => Promise<IdleTarget>> = {
  socketio: startIdleSocketIo,
  ours: startIdleOurs,
  uws: startIdleUws,
};
