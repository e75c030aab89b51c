import { parseConfig } from '@chat/config';
import { startRedisServer } from '@chat/devstack';
import { createLogger } from '@chat/observability';
import { PresenceService } from '@chat/presence';

it('start/stop leaves nothing', async () => {
  const server = await startRedisServer();
  const config = parseConfig({ REDIS_URL: server.url, LEASE_TTL_MS: '1000' });
  const before = (process as any)._getActiveHandles().length;
  const s = new PresenceService(config, createLogger('x', 'silent'));
  await s.start();
  await new Promise((r) => setTimeout(r, 300));
  await s.stop();
  await new Promise((r) => setTimeout(r, 100));
  const handles = (process as any)._getActiveHandles();
  console.log(before, handles.length, handles.map((h: any) => h.constructor.name + ' ' + (h.remotePort ?? '') + ' ' + (h._onTimeout ? h._onTimeout.toString().slice(0, 120) : '')));
  await server.stop();
});
