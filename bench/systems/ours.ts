/**
 * (a) Ours: the real stack as separate processes through @chat/devstack — api ×1, messages ×1,
 * gateway ×2 — on a private redis-server and a fresh PostgreSQL database bench_<random>.
 */
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../lib/bench-client';
import { startGuarded } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import { guestToken, OursStack } from '../lib/ours-stack';
import type { DeliveryRouter } from '../lib/recorder';
import { postgresBackends } from '../lib/proc-stats';

import { RunningSystem, ServerProc, countFailures, rssOf, setupReport } from '../lib/system';
import { WsBenchClient, joinBenchRoom } from '../lib/ws-client';

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
      const stack = await ours.start(cfg.databaseAdminUrl, { gateways: 2, messages: 1 });
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
      return {
        key: 'ours',
        label: 'ours',
        clients,
        procs,
        // The database's share of the work: the PostgreSQL backends serving this database.
        transientProcs: () => postgresBackends(dbName).map((pid) => ({ name: `postgres-${pid}`, role: 'backend' as const, pid, group: 'postgres' })),
        setup: setupReport(t0, procs, before, connected, cfg.clients, countFailures(clients.map((c) => c.connectFailures))),
        logs: () => Object.fromEntries(stack.processes.map((p) => [p.name, p.logs().slice(-4000)])),
        notes: [
          `stack: ${stack.processes.map((p) => p.name).join(', ')}; gateways ${gateways.join(' ')}; PostgreSQL database ${db.name}`,
          'rate limits raised out of the way (RATE_* = 1e9); BENCH_OURS_ENV overrides',
        ],
      };
    },
    printLogs,
  );
}
