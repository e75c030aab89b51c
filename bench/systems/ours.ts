/**
 * (a) Ours in the deployment shape of DESIGN.md: the real stack as separate processes through
 * @chat/devstack — gateway ×2, messages ×2, presence ×1, api ×1 — on a private redis-server and
 * a fresh PostgreSQL database bench_<random>.
 */
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../lib/bench-client';
import { startGuarded } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import { guestToken, OursStack } from '../lib/ours-stack';
import type { DeliveryRouter } from '../lib/recorder';
import { Client } from 'pg';
import { postgresBackends, postgresChildren, postgresClusterCpu, procStat } from '../lib/proc-stats';

import { CpuAggregate, RunningSystem, ServerProc, countFailures, rssOf, setupReport } from '../lib/system';
import { WsBenchClient, joinBenchRoom } from '../lib/ws-client';

const GATEWAYS = 2;
const MESSAGES = 2;
const PRESENCE = 1;

/**
 * The PostgreSQL processes that serve the run, found from the backends of the bench database
 * (their process titles name it) and cross-checked against pg_stat_activity: returns the
 * postmaster's pid (null when not found: then only the title scan is used) and a note.
 */
async function findPostgres(dbUrl: string, dbName: string): Promise<{ postmaster: number | null; note: string }> {
  const byTitle = postgresBackends(dbName);
  let byActivity: number[] = [];
  const c = new Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    byActivity = r.rows.map((x) => Number(x.pid));
  } catch (err) {
    return { postmaster: null, note: `pg_stat_activity unreadable (${(err as Error).message}); ${byTitle.length} backends by title` };
  } finally {
    await c.end().catch(() => undefined);
  }
  const ppids = new Set(byActivity.map((pid) => procStat(pid)?.ppid).filter((p): p is number => !!p));
  const postmaster = ppids.size === 1 ? [...ppids][0] : null;
  const titled = new Set(byTitle);
  const agree = byActivity.filter((p) => titled.has(p)).length;
  return {
    postmaster,
    note:
      `PostgreSQL: ${byActivity.length} backends of ${dbName} in pg_stat_activity, ${agree} of them found by process title` +
      (postmaster ? `, postmaster pid ${postmaster}` : ', postmaster not found (cluster total unavailable)'),
  };
}

export async function startOurs(cfg: BenchConfig, router: DeliveryRouter): Promise<RunningSystem> {
  const t0 = performance.now();
  const clients: WsBenchClient[] = [];
  const ours = new OursStack();
  let pinger: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(pinger);
    for (const c of clients) c.close();
    await ours.stop();
  };
  const printLogs = () => {
    for (const p of ours.stack?.processes ?? []) {
      const state = p.child.exitCode !== null || p.child.signalCode !== null ? `exited ${p.child.exitCode ?? p.child.signalCode}` : 'running';
      console.error(`[bench] ours: ${p.name} (pid ${p.pid}, ${state}) log tail:\n${p.logs().slice(-3000)}`);
    }
  };
  return startGuarded<RunningSystem>(
    'ours system',
    stop,
    async () => {
      const stack = await ours.start(cfg.databaseAdminUrl, { gateways: GATEWAYS, messages: MESSAGES, presence: PRESENCE });
      const procs: ServerProc[] = [
        ...stack.processes.map((p) => ({ name: p.name, role: /gateway/i.test(p.name) ? ('server' as const) : ('backend' as const), pid: p.pid })),
        { name: 'redis', role: 'backend', pid: ours.redis!.pid },
      ];
      if (!procs.some((p) => p.role === 'server')) throw new Error(`no gateway among stack processes: ${stack.processes.map((p) => p.name).join(', ')}`);
      const apiBase = ours.apiBase();
      const gateways = stack.gatewayUrls;
      const db = ours.db!;
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

      await joinBenchRoom(clients);
      const pg = await findPostgres(db.url, dbName);
      const postmaster = pg.postmaster;
      // The database's share of the work, found anew at each sample: backends of the bench
      // database ('postgres'), the cluster's background processes ('postgres-bg': WAL writer,
      // checkpointer, background writer, autovacuum), both counted; other databases' backends
      // ('postgres-otherdb', someone else's) shown, not counted.
      const transientProcs = (): ServerProc[] =>
        postmaster
          ? postgresChildren(postmaster).map((c) => ({
              name: `postgres-${c.pid}`,
              pid: c.pid,
              // A child just forked still has the postmaster's title (database null): a backend
              // starting, ours during a run; it moves to its group at the next sample if not.
              role: c.kind === 'backend' && c.database !== null && c.database !== dbName ? ('outside' as const) : ('backend' as const),
              group: c.kind === 'background' ? 'postgres-bg' : c.database === dbName || c.database === null ? 'postgres' : 'postgres-otherdb',
            }))
          : postgresBackends(dbName).map((pid) => ({ name: `postgres-${pid}`, role: 'backend' as const, pid, group: 'postgres' }));
      // Second account: the whole cluster (postmaster, every child, and children that exited,
      // through the postmaster's cutime/cstime), in place of 'postgres', 'postgres-bg' and
      // 'postgres-postmaster'.
      const cpuAggregates: CpuAggregate[] = postmaster
        ? [{ name: 'postgres-cluster', replaces: ['postgres', 'postgres-bg', 'postgres-postmaster'], read: () => postgresClusterCpu(postmaster) }]
        : [];
      // The postmaster itself (it forks a backend for every new connection) is counted; the CPU
      // of its children that exited (cutime + cstime: pooled backends closed when idle, and any
      // other database's connections) is shown, not counted: it is in the cluster figure.
      const pgProcs: ServerProc[] = postmaster
        ? [
            { name: 'postgres-postmaster', role: 'backend', pid: postmaster },
            { name: 'postgres-exited', role: 'outside', pid: postmaster, read: () => procStat(postmaster)?.childrenCpu ?? null },
          ]
        : [];
      return {
        key: 'ours',
        label: 'ours',
        clients,
        procs: [...procs, ...pgProcs],
        // The database's share of the work: the PostgreSQL backends serving this database.
        transientProcs,
        cpuAggregates,
        setup: setupReport(t0, procs, before, connected, cfg.clients, countFailures(clients.map((c) => c.connectFailures))),
        logs: () => Object.fromEntries(stack.processes.map((p) => [p.name, p.logs().slice(-4000)])),
        notes: [
          `stack: ${stack.processes.map((p) => p.name).join(', ')}; gateways ${gateways.join(' ')}; PostgreSQL database ${db.name}`,
          'rate limits raised out of the way (RATE_* = 1e9); BENCH_OURS_ENV overrides',
          pg.note,
        ],
      };
    },
    printLogs,
  );
}
