/**
 * Ours through the gRPC door: the stack of `ours` with its two WebSocket gateways replaced by
 * two gRPC gateways (apps/grpc-gateway) — messages ×2, presence, api, redis, PostgreSQL the
 * same — and every member on a ChatStream. One WebSocket gateway still runs, only to create
 * the bench room (ChatStream has no room.create): idle during the phases, not counted.
 * PostgreSQL is counted as for `ours` (its backends and background processes).
 */
import { performance } from 'node:perf_hooks';
import { postgresBackends } from '../lib/proc-stats';
import { mapLimit } from '../lib/bench-client';
import { startGuarded } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import { GrpcBenchClient } from '../lib/grpc-client';
import { guestToken, OursStack } from '../lib/ours-stack';
import type { DeliveryRouter } from '../lib/recorder';
import { countFailures, RunningSystem, rssOf, ServerProc, setupReport } from '../lib/system';
import { okData, WsBenchClient } from '../lib/ws-client';

const GRPC_GATEWAYS = 2;

export async function startGrpc(cfg: BenchConfig, router: DeliveryRouter): Promise<RunningSystem> {
  const t0 = performance.now();
  const clients: GrpcBenchClient[] = [];
  const ours = new OursStack();
  const stop = async () => {
    for (const c of clients) c.close();
    await ours.stop();
  };
  return startGuarded<RunningSystem>('grpc system', stop, async () => {
    const stack = await ours.start(cfg.databaseAdminUrl, { gateways: 1, messages: 2, presence: 1, grpcGateways: GRPC_GATEWAYS });
    const procs: ServerProc[] = [
      ...stack.processes.map((p) => ({
        name: p.name,
        role: p.name.startsWith('grpc-gateway') ? ('server' as const) : p.name.startsWith('gateway') ? ('outside' as const) : ('backend' as const),
        pid: p.pid,
      })),
      { name: 'redis', role: 'backend', pid: ours.redis!.pid },
    ];
    const apiBase = ours.apiBase();
    const tokens = await mapLimit(
      Array.from({ length: cfg.clients }, (_, i) => i),
      20,
      (i) => guestToken(apiBase, `g${i}`),
    );
    const creator = new WsBenchClient(-1, `${stack.gatewayUrls[0]}?token=${encodeURIComponent(tokens[0])}`, router, cfg.parse);
    await creator.connect(10_000, 3);
    const room = (await okData(creator.request('room.create', { name: 'bench' }), 'room.create')).room;
    creator.close();

    const before = rssOf(procs);
    for (let i = 0; i < cfg.clients; i++) clients.push(new GrpcBenchClient(i, stack.grpcAddresses[i % stack.grpcAddresses.length], router, cfg.parse));
    await mapLimit(clients, 50, (c) => c.connect(10_000, tokens[c.index]));
    const connected = rssOf(procs);
    await mapLimit(clients, 20, async (c) => {
      const result = await c.request('join', { room_id: room.id });
      if (!result.ok) throw new Error(`join (client ${c.index}) failed: ${JSON.stringify(result.error)}`);
      c.roomId = room.id;
    });
    const dbName = ours.db!.name;
    return {
      key: 'grpc',
      label: 'ours gRPC',
      clients,
      procs,
      transientProcs: () => postgresBackends(dbName).map((pid) => ({ name: `postgres-${pid}`, role: 'backend' as const, pid, group: 'postgres' })),
      setup: setupReport(t0, procs, before, connected, cfg.clients, countFailures(clients.map((c) => c.connectFailures))),
      logs: () => Object.fromEntries(stack.processes.map((p) => [p.name, p.logs().slice(-4000)])),
      notes: [
        `stack: ${stack.processes.map((p) => p.name).join(', ')}; gRPC ${stack.grpcAddresses.join(' ')}; PostgreSQL database ${dbName}`,
        'members on ChatStreams, one HTTP/2 connection each; the WebSocket gateway only created the room (not counted)',
        'PostgreSQL: backends of the bench database only (no background processes, no cluster figure)',
      ],
    };
  });
}
