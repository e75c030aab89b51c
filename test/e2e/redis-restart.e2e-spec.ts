import { startRedisServer } from '@chat/devstack';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

/**
 * Redis goes away and comes back empty (a restart without persistence). Gateways ask their
 * clients to reconnect (1012); every service recovers on its own; what PostgreSQL holds is
 * intact and chat goes on — including a client that resumes from its last seen seq.
 */
describe('a Redis restart', () => {
  let stack: ChatStack;

  beforeAll(async () => {
    stack = await startChatStack('redisrestart', { env: { LEASE_TTL_MS: '1000' } });
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  it('closes sockets with 1012, and after reconnecting clients chat and resume as before', async () => {
    const a = await guest(stack.apiUrl, uniqueName('ra'));
    const b = await guest(stack.apiUrl, uniqueName('rb'));
    const ca = await WsClient.connect(stack.gatewayUrls[0], a.token);
    const cb = await WsClient.connect(stack.gatewayUrls[1], b.token);
    const { room } = await ca.call('room.create', { name: 'survives' });
    await cb.call('room.join', { roomId: room.id });
    await ca.call('message.send', { roomId: room.id, text: 'before', clientMsgId: 'b1' });
    await cb.waitForCount((f) => f.type === 'message.created', 1);

    stack.redis.kill();
    await stack.redis.stop();
    const restarted = await startRedisServer({ port: stack.redis.port });
    try {
      expect((await ca.closed).code).toBe(1012);
      expect((await cb.closed).code).toBe(1012);

      // Services come back by themselves (leases re-taken, groups re-created): reconnect until hello.
      const again = async (url: string, token: string) =>
        waitFor(() => WsClient.connect(url, token).catch(() => undefined), { timeoutMs: 20_000, intervalMs: 250, what: 'a session after the restart' });
      const na = await again(stack.gatewayUrls[0], a.token);
      const nb = await again(stack.gatewayUrls[1], b.token);
      const sent = await waitFor(
        () => na.request('message.send', { roomId: room.id, text: 'after', clientMsgId: 'a1' }, 2000).then((r) => (r.ok ? r : undefined), () => undefined),
        { timeoutMs: 20_000, intervalMs: 100, what: 'a send to be acknowledged after the restart' },
      );
      expect(sent.data.message.seq).toBe(2);
      const resumed = await nb.call('resume', { rooms: { [room.id]: 1 } });
      expect(resumed.replayed).toBe(1);
      expect(nb.events('message.created').filter((f) => f.data.seq === 2)).not.toHaveLength(0);
      await na.close();
      await nb.close();
    } finally {
      await restarted.stop();
    }
  });
});
