/** (c) Ceiling: one bare uWebSockets.js process with topics; no Redis, no database. */
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../lib/bench-client';
import { startGuarded } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import type { DeliveryRouter } from '../lib/recorder';
import { spawnBenchServer, NodeChild } from '../lib/spawn-node';
import { RunningSystem, ServerProc, countFailures, rssOf, setupReport } from '../lib/system';
import { WsBenchClient, joinBenchRoom } from '../lib/ws-client';

export async function startBareUws(cfg: BenchConfig, router: DeliveryRouter): Promise<RunningSystem> {
  const t0 = performance.now();
  const clients: WsBenchClient[] = [];
  let server: NodeChild | null = null;
  const stop = async () => {
    for (const c of clients) c.close();
    await server?.stop();
  };
  return startGuarded<RunningSystem>('bare uWS system', stop, async () => {
    const spawned = await spawnBenchServer('uws', 'uws-server.js');
    server = spawned.child;
    const procs: ServerProc[] = [{ name: 'uws', role: 'server', pid: server.pid }];
    const before = rssOf(procs);
    for (let i = 0; i < cfg.clients; i++) {
      clients.push(new WsBenchClient(i, `ws://127.0.0.1:${spawned.port}/ws?token=b${i}`, router, cfg.parse));
    }
    await mapLimit(clients, 50, (c) => c.connect(10_000, 3));
    const connected = rssOf(procs);
    await joinBenchRoom(clients);
    return {
      key: 'uws',
      label: 'bare uWS',
      clients,
      procs,
      setup: setupReport(t0, procs, before, connected, cfg.clients, countFailures(clients.map((c) => c.connectFailures))),
      notes: ['one uWebSockets.js process, topics, same frames as ours, maxBackpressure 64 MiB, nothing durable'],
    };
  });
}
