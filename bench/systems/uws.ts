/** (c) Ceiling: one bare uWebSockets.js process with topics; no Redis, no database. */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../lib/bench-client';
import { onCleanup } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import { freePort } from '@chat/devstack';
import type { DeliveryRouter } from '../lib/recorder';
import { spawnNodeScript, NodeChild } from '../lib/spawn-node';
import { RunningSystem, ServerProc, countFailures, rssOf, rssPerConnection } from '../lib/system';
import { WsBenchClient, okData } from '../lib/ws-client';

export async function startBareUws(cfg: BenchConfig, router: DeliveryRouter): Promise<RunningSystem> {
  const t0 = performance.now();
  const clients: WsBenchClient[] = [];
  let server: NodeChild | null = null;
  const stop = async () => {
    for (const c of clients) c.close();
    await server?.stop();
  };
  const unregister = onCleanup('bare uWS system', stop);
  try {
    const port = await freePort();
    server = await spawnNodeScript('uws', join(__dirname, '..', 'uws-server.js'), { PORT: String(port) });
    const procs: ServerProc[] = [{ name: 'uws', role: 'server', pid: server.pid }];
    const before = rssOf(procs);
    for (let i = 0; i < cfg.clients; i++) {
      clients.push(new WsBenchClient(i, `ws://127.0.0.1:${port}/ws?token=b${i}`, router, cfg.parse));
    }
    await mapLimit(clients, 50, (c) => c.connect(10_000, 3));
    const connected = rssOf(procs);
    const room = (await okData(clients[0].request('room.create', { name: 'bench' }), 'room.create')).room;
    await mapLimit(clients, 20, async (c) => {
      await okData(c.request('room.join', { roomId: room.id }), `room.join (client ${c.index})`);
      c.roomId = room.id;
    });
    return {
      key: 'uws',
      label: 'bare uWS',
      clients,
      procs,
      setup: {
        seconds: Math.round(performance.now() - t0) / 1000,
        rssPerConnectionKb: rssPerConnection(procs, before, connected, cfg.clients),
        serverRssBeforeKb: before,
        serverRssConnectedKb: connected,
        connectFailures: countFailures(clients.map((c) => c.connectFailures)),
      },
      notes: ['one uWebSockets.js process, topics, same frames as ours, maxBackpressure 64 MiB, nothing durable'],
      stop: async () => {
        unregister();
        await stop();
      },
    };
  } catch (err) {
    unregister();
    await stop();
    throw err;
  }
}
