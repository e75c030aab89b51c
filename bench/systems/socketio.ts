/** (b) Baseline: Socket.IO 4 + @socket.io/redis-streams-adapter on two server processes. */
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../lib/bench-client';
import { startGuarded } from '../lib/cleanup';
import type { BenchConfig } from '../lib/config';
import { startRedisServer } from '@chat/devstack';
import type { DeliveryRouter } from '../lib/recorder';

import { SioBenchClient } from '../lib/sio-client';
import { spawnBenchServer, NodeChild } from '../lib/spawn-node';
import { RunningSystem, ServerProc, rssOf, setupReport } from '../lib/system';

const SERVERS = 2;

export async function startSocketIo(cfg: BenchConfig, router: DeliveryRouter): Promise<RunningSystem> {
  const t0 = performance.now();
  const clients: SioBenchClient[] = [];
  const servers: NodeChild[] = [];
  const redis = await startRedisServer();
  const stop = async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
  };
  return startGuarded<RunningSystem>('socket.io system', stop, async () => {
    const ports: number[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const { child, port } = await spawnBenchServer(`sio-${i}`, 'socketio-server.js', { REDIS_URL: redis.url, SERVER_ID: `sio-${i}` });
      ports.push(port);
      servers.push(child);
    }
    const procs: ServerProc[] = [
      ...servers.map((s) => ({ name: s.name, role: 'server' as const, pid: s.pid })),
      { name: 'redis', role: 'backend', pid: redis.pid },
    ];
    const before = rssOf(procs);
    for (let i = 0; i < cfg.clients; i++) clients.push(new SioBenchClient(i, `http://127.0.0.1:${ports[i % SERVERS]}`, router, cfg.parse));
    await mapLimit(clients, 50, (c) => c.connect(`b${c.index}`, 10_000));
    const connected = rssOf(procs);

    const created = await clients[0].request('room.create', { name: 'bench' });
    if (!created?.ok) throw new Error(`room.create failed: ${JSON.stringify(created)}`);
    const roomId: string = created.data.room.id;
    await mapLimit(clients, 20, async (c) => {
      const res = await c.request('room.join', { roomId });
      if (!res?.ok) throw new Error(`room.join failed for ${c.index}: ${JSON.stringify(res)}`);
      c.roomId = roomId;
    });
    return {
      key: 'socketio',
      label: 'socket.io+adapter',
      clients,
      procs,
      setup: setupReport(t0, procs, before, connected, cfg.clients, {}),
      notes: ['socket.io 4.8 + @socket.io/redis-streams-adapter 0.3 (defaults), websocket transport only, ack after io.to(room).emit, no durability'],
    };
  });
}
