import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { Frame, guest, WsClient } from '../support/ws-client';

/**
 * A reader that stops reading must not make the gateway buffer without bound, nor slow the
 * room down for everyone else: past MAX_BACKPRESSURE_BYTES the gateway closes it (it would
 * reconnect and resume), while a healthy member keeps receiving everything.
 */
describe('a slow reader', () => {
  let stack: ChatStack;

  beforeAll(async () => {
    stack = await startChatStack('slowreader', { gateways: 1, env: { MAX_BACKPRESSURE_BYTES: String(256 * 1024) } });
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  it('is closed once its backlog passes the limit, while the others get every message', async () => {
    const [s, h, l] = await Promise.all(['sender', 'healthy', 'lagging'].map((n) => guest(stack.apiUrl, uniqueName(n))));
    const sender = await WsClient.connect(stack.gatewayUrls[0], s.token);
    const healthy = await WsClient.connect(stack.gatewayUrls[0], h.token);
    const lagging = await WsClient.connect(stack.gatewayUrls[0], l.token);
    const { room } = await sender.call('room.create', { name: 'firehose' });
    await healthy.call('room.join', { roomId: room.id });
    await lagging.call('room.join', { roomId: room.id });

    // Stop reading: the kernel buffers fill, then the gateway's send buffer grows.
    (lagging.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const TOTAL = 3000;
    const text = 'x'.repeat(3000); // 3000 × ~3.3 KB ≈ 10 MB: far beyond socket buffers and the limit
    for (let i = 0; i < TOTAL; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, TOTAL - i) }, (_, k) =>
          sender.call('message.send', { roomId: room.id, text, clientMsgId: `f${i + k}` }),
        ),
      );
    }
    const isCreated = (f: Frame) => f.type === 'message.created' && f.data.roomId === room.id;
    const got = await healthy.waitForCount(isCreated, TOTAL, 60_000, 'message.created');
    expect(got.map((f) => f.data.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));

    // The lagging socket was cut off by the gateway (its TCP connection is gone, not idle).
    const stats = (await (await fetch(`${stack.gatewayUrls[0].replace('ws://', 'http://').replace('/ws', '')}/healthz`)).json()) as {
      connections: number;
    };
    expect(stats.connections).toBe(2);
    (lagging.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await lagging.closed;
    await sender.close();
    await healthy.close();
  });
});
