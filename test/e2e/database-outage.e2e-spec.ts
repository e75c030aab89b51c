import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { expectExactlyOnceInOrder, historyOf, range, sendBurst } from '../support/room-load';
import { TcpProxy } from '../support/tcp-proxy';
import { Frame, guest, WsClient } from '../support/ws-client';

const REPLY_MS = 2000;
/** How late an UNAVAILABLE may come past REPLY_MS: one retry backoff (2 s) and a slow box. */
const REPLY_SLACK_MS = 4000;
const BEFORE = 5;
const DURING = 10;
const BACKGROUND = 40;

/**
 * Drill: PostgreSQL goes away under load (a TCP proxy in front of it resets every connection
 * and refuses new ones) and comes back. Senders are answered UNAVAILABLE within a bounded
 * time — never a false ack, never silence — while the held batch keeps retrying; when the
 * database returns, every send lands exactly once, a ref already answered UNAVAILABLE gets no
 * second reply, and a retry with the same clientMsgId returns the stored message.
 */
describe('drill: PostgreSQL stopped under load', () => {
  let proxy: TcpProxy;
  let stack: ChatStack;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    proxy = await TcpProxy.start(5432);
    stack = await startChatStack('db_outage', {
      gateways: 1,
      messages: 1,
      databaseUrl: (url) => proxy.urlThrough(url),
      env: { SHARDS: '2', DB_UNAVAILABLE_REPLY_MS: String(REPLY_MS) },
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stack?.teardown();
    await proxy?.close();
  });

  async function connect(prefix: string): Promise<WsClient> {
    const { token } = await guest(stack.apiUrl, uniqueName(prefix));
    const client = await WsClient.connect(stack.gatewayUrls[0], token);
    clients.push(client);
    return client;
  }

  it('answers sends UNAVAILABLE while it is away and stores each one once when it returns', async () => {
    const [alice, bob, carol] = [await connect('dba'), await connect('dbb'), await connect('dbc')];
    const { room } = await alice.call('room.create', { name: 'outage' });
    await bob.call('room.join', { roomId: room.id });
    await carol.call('room.join', { roomId: room.id });
    for (let k = 0; k < BEFORE; k++) await alice.call('message.send', { roomId: room.id, text: `before ${k}`, clientMsgId: `before-${k}` });

    // Carol keeps sending through the outage, retrying each send with its clientMsgId until acknowledged.
    proxy.cut();
    const background = sendBurst(carol, room.id, 'bg', BACKGROUND, { window: 2, retryAfterMs: 15_000 });

    // Alice's sends, all at once: the first batch is held back, the others queue behind it.
    const sentAt = Date.now();
    const refsBefore = alice.frames.length;
    const down = await Promise.all(
      range(1, DURING).map(async (k) => {
        const reply = await alice.request('message.send', { roomId: room.id, text: `during ${k}`, clientMsgId: `down-${k}` }, 15_000);
        return { reply, after: Date.now() - sentAt };
      }),
    );
    for (const { reply, after } of down) {
      expect(reply.ok).toBe(false);
      expect(reply.error).toEqual({ code: 'UNAVAILABLE', message: expect.stringContaining('same clientMsgId'), retryAfterMs: REPLY_MS });
      expect(after).toBeGreaterThanOrEqual(REPLY_MS - 100);
      expect(after).toBeLessThan(REPLY_MS + REPLY_SLACK_MS);
    }
    const downRefs = down.map(({ reply }) => reply.ref!);

    proxy.restore();
    // Retried with the same clientMsgId: each returns its one stored message.
    const retried = new Map<string, number>();
    for (let k = 1; k <= DURING; k++) {
      for (let attempt = 0; !retried.has(`down-${k}`); attempt++) {
        const reply = await alice.request('message.send', { roomId: room.id, text: `during ${k}`, clientMsgId: `down-${k}` }, 15_000);
        if (reply.ok) retried.set(`down-${k}`, reply.data.message.seq);
        else expect(attempt).toBeLessThan(20);
      }
    }
    const carolAcked = await background;
    expect(carolAcked.size).toBe(BACKGROUND);

    const total = BEFORE + DURING + BACKGROUND;
    await expectExactlyOnceInOrder(bob, room.id, total);
    const stored = await historyOf(bob, room.id);
    expect(stored.map((m) => m.seq)).toEqual(range(1, total));
    expect(new Set(stored.map((m) => m.clientMsgId)).size).toBe(total);
    // What the retries returned is what was stored, and what bob saw published.
    const seqOf = new Map(stored.map((m) => [m.clientMsgId, m.seq]));
    for (const [clientMsgId, seq] of retried) expect(seqOf.get(clientMsgId)).toBe(seq);

    // One reply per ref: the held batch's commit answered none of the refs told UNAVAILABLE.
    const replies = alice.frames.slice(refsBefore).filter((f: Frame) => f.type === 'reply' && downRefs.includes(f.ref!));
    expect(replies).toHaveLength(DURING);
  });
});
