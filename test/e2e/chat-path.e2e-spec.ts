import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { Frame, guest, WsClient } from '../support/ws-client';

/**
 * The end-to-end message path across processes: two gateways, two messages instances, api,
 * a private redis-server and a fresh PostgreSQL database; plain ws clients.
 */
describe('message path across two gateways', () => {
  let stack: ChatStack;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('path', { env: { AUTH_TIMEOUT_MS: '1500', HEARTBEAT_MS: '4000' } });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  async function connect(name: string, gateway = 0): Promise<{ client: WsClient; user: { id: string; username: string }; token: string }> {
    const { token, user } = await guest(stack.apiUrl, uniqueName(name));
    const client = await WsClient.connect(stack.gatewayUrls[gateway], token);
    clients.push(client);
    return { client, user, token };
  }

  async function roomWith(owner: WsClient, members: WsClient[]): Promise<string> {
    const { room } = await owner.call('room.create', { name: uniqueName('room') });
    for (const m of members) await m.call('room.join', { roomId: room.id });
    return room.id;
  }

  const created = (roomId: string) => (f: Frame) => f.type === 'message.created' && f.data.roomId === roomId;

  it('greets with hello and answers ping with pong', async () => {
    const { client, user } = await connect('hi');
    expect(client.hello!.data).toMatchObject({ userId: user.id, username: user.username, heartbeatMs: expect.any(Number) });
    expect(typeof client.hello!.data.connectionId).toBe('string');
    const pong = client.next((f) => f.type === 'pong');
    client.send('ping');
    await expect(pong).resolves.toEqual({ type: 'pong' });
  });

  it('lets a client on gateway A and one on gateway B chat both ways', async () => {
    const a = await connect('alice', 0);
    const b = await connect('bob', 1);
    const roomId = await roomWith(a.client, [b.client]);

    const atB = b.client.next(created(roomId));
    const sent = await a.client.call('message.send', { roomId, text: 'hello from A', clientMsgId: 'a-1' });
    expect(sent.message).toMatchObject({ roomId, seq: 1, text: 'hello from A', author: { id: a.user.id }, clientMsgId: 'a-1' });
    expect((await atB).data).toEqual(sent.message);

    const atA = a.client.next((f) => created(roomId)(f) && f.data.seq === 2);
    await b.client.call('message.send', { roomId, text: 'hello from B', clientMsgId: 'b-1' });
    expect((await atA).data).toMatchObject({ seq: 2, text: 'hello from B', author: { id: b.user.id } });
  });

  it('delivers 1000 concurrent sends from 5 clients to every client exactly once, in seq order', async () => {
    const people = await Promise.all([0, 1, 2, 3, 4].map((i) => connect(`burst${i}`, i % 2)));
    const roomId = await roomWith(people[0].client, people.slice(1).map((p) => p.client));
    const PER_CLIENT = 200;

    const replies = await Promise.all(
      people.map(({ client }, i) =>
        Promise.all(
          Array.from({ length: PER_CLIENT }, (_, k) => client.request('message.send', { roomId, text: `m ${i}/${k}`, clientMsgId: `b${i}-${k}` })),
        ),
      ),
    );
    expect(replies.flat().every((r) => r.ok)).toBe(true);

    for (const { client } of people) {
      const got = await client.waitForCount(created(roomId), 5 * PER_CLIENT, 60_000, 'message.created');
      // Exactly once each (nothing more arrives on top of the 1000), in seq order 1..1000.
      expect(got.map((f) => f.data.seq)).toEqual(Array.from({ length: 5 * PER_CLIENT }, (_, i) => i + 1));
    }
    // Each sender's own messages keep the order it sent them in.
    const seqsOf0 = people[0].client.events('message.created').filter((f) => f.data.clientMsgId?.startsWith('b0-'));
    expect(seqsOf0.map((f) => Number(f.data.clientMsgId.slice(3)))).toEqual(Array.from({ length: PER_CLIENT }, (_, i) => i));
  });

  it('creates one message when the same clientMsgId is sent twice', async () => {
    const a = await connect('dupa', 0);
    const b = await connect('dupb', 1);
    const roomId = await roomWith(a.client, [b.client]);

    const first = await a.client.call('message.send', { roomId, text: 'once', clientMsgId: 'same' });
    const second = await a.client.call('message.send', { roomId, text: 'once again?', clientMsgId: 'same' });
    expect(second.message).toEqual(first.message);
    // A later message proves the ordering point: B saw exactly one event before it.
    await a.client.call('message.send', { roomId, text: 'after', clientMsgId: 'after' });
    await b.client.waitForCount((f) => created(roomId)(f) && f.data.seq === 2, 1);
    // Exactly once, even right after B joined (the join catch-up holds live events back).
    const atB = b.client.events('message.created').filter((f) => f.data.roomId === roomId);
    expect(atB.map((f) => [f.data.seq, f.data.text])).toEqual([
      [1, 'once'],
      [2, 'after'],
    ]);
    const history = await b.client.call('message.history', { roomId });
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(['once', 'after']);
  });

  it('gives a client that joins mid-stream every later message exactly once, in seq order', async () => {
    const a = await connect('streamer', 0);
    const b = await connect('joiner', 1); // first socket of the room on gateway B: a fresh channel
    const roomId = await roomWith(a.client, []);
    // A keeps sending (10 in flight) until 100 messages after B's join were acknowledged.
    let sent = 0;
    let stopAt = Infinity;
    const sender = async () => {
      while (sent < stopAt) {
        const i = sent++;
        await a.client.call('message.send', { roomId, text: `s${i}`, clientMsgId: `s${i}` });
      }
    };
    const sending = Promise.all(Array.from({ length: 10 }, sender));
    await a.client.waitForCount(created(roomId), 50);
    const joined = await b.client.call('room.join', { roomId });
    stopAt = sent + 100;
    await sending;
    const total = sent;
    const snapshot = joined.messages.at(-1)?.seq ?? 0;
    expect(snapshot).toBeGreaterThan(0);
    expect(snapshot).toBeLessThan(total);
    const got = await b.client.waitForCount(created(roomId), total - snapshot, 30_000, 'message.created');
    expect(got.map((f) => f.data.seq)).toEqual(Array.from({ length: total - snapshot }, (_, i) => snapshot + 1 + i));
  });

  it('resumes on another gateway with exactly the missed messages, in order', async () => {
    const a = await connect('resa', 0);
    const b = await connect('resb', 0);
    const roomId = await roomWith(a.client, [b.client]);
    for (let i = 1; i <= 3; i++) await a.client.call('message.send', { roomId, text: `seen ${i}`, clientMsgId: `s${i}` });
    await b.client.waitForCount(created(roomId), 3);
    await b.client.close();
    clients.splice(clients.indexOf(b.client), 1);

    for (let i = 1; i <= 7; i++) await a.client.call('message.send', { roomId, text: `missed ${i}`, clientMsgId: `m${i}` });

    const again = await WsClient.connect(stack.gatewayUrls[1], b.token);
    clients.push(again);
    const reply = await again.call('resume', { rooms: { [roomId]: 3 } });
    expect(reply).toMatchObject({ replayed: 7, truncated: [] });
    const replayed = again.events('message.created').filter((f) => f.data.roomId === roomId);
    expect(replayed.map((f) => f.data.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(replayed.map((f) => f.data.text)).toEqual(Array.from({ length: 7 }, (_, i) => `missed ${i + 1}`));

    // And it is live again on the new gateway.
    const live = again.next((f) => created(roomId)(f) && f.data.seq === 11);
    await a.client.call('message.send', { roomId, text: 'live', clientMsgId: 'live' });
    expect((await live).data.text).toBe('live');
  });

  it('gives a send from a non-member FORBIDDEN and an unknown room NOT_FOUND', async () => {
    const a = await connect('owner', 0);
    const outsider = await connect('outsider', 1);
    const roomId = await roomWith(a.client, []);
    const reply = await outsider.client.request('message.send', { roomId, text: 'let me in', clientMsgId: 'x' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const history = await outsider.client.request('message.history', { roomId });
    expect(history.error?.code).toBe('FORBIDDEN');
    const unknown = await outsider.client.request('message.send', { roomId: 'rnope', text: 'x', clientMsgId: 'y' });
    expect(unknown.error?.code).toBe('NOT_FOUND');
    expect((await a.client.call('message.history', { roomId })).messages).toEqual([]);
  });

  it('answers garbage, unknown types and wrong fields with BAD_REQUEST and keeps the socket open', async () => {
    const { client } = await connect('bad', 0);
    const roomId = await roomWith(client, []);

    client.sendRaw('this is not json');
    expect((await client.next((f) => f.type === 'error')).data.code).toBe('BAD_REQUEST');

    client.sendRaw(JSON.stringify({ type: 'no.such.op', ref: 'u1' }));
    expect(await client.next((f) => f.ref === 'u1')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    client.sendRaw(JSON.stringify({ type: 'message.send', ref: 'w1', data: { roomId, text: 42 } }));
    expect(await client.next((f) => f.ref === 'w1')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    client.sendRaw(JSON.stringify({ type: 'message.send', ref: 'w2', data: { roomId, text: 'x'.repeat(4001), clientMsgId: 'long' } }));
    expect(await client.next((f) => f.ref === 'w2')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    client.sendRaw(JSON.stringify([1, 2, 3]));
    expect((await client.next((f) => f.type === 'error')).data.code).toBe('BAD_REQUEST');

    // Still open and working, and nothing bad was stored.
    const ok = await client.call('message.send', { roomId, text: 'still here', clientMsgId: 'ok' });
    expect(ok.message.seq).toBe(1);
  });

  it('answers a 70 KiB frame with TOO_LARGE and closes only that socket with 1009', async () => {
    const big = await connect('big', 0);
    const bystander = await connect('bystander', 0);
    const error = big.client.next((f) => f.type === 'error');
    big.client.sendRaw(JSON.stringify({ type: 'message.send', data: { text: 'x'.repeat(70 * 1024) } }));
    expect((await error).data.code).toBe('TOO_LARGE');
    expect((await big.client.closed).code).toBe(1009);
    await expect(bystander.client.call('room.list')).resolves.toHaveProperty('rooms');
  });

  it('closes with 4001 on a bad token, in the query or in an auth frame', async () => {
    const inQuery = await WsClient.connect(stack.gatewayUrls[0], 'not-a-jwt', { waitHello: false });
    expect((await inQuery.closed).code).toBe(4001);

    const bare = await WsClient.connect(stack.gatewayUrls[1]);
    bare.send('auth', { token: 'forged.token.value' });
    expect((await bare.closed).code).toBe(4001);
  });

  it('authenticates with an auth frame, refuses other ops before it, and times out silent sockets', async () => {
    const { token } = await guest(stack.apiUrl, uniqueName('bare'));
    const bare = await WsClient.connect(stack.gatewayUrls[0]);
    clients.push(bare);
    expect((await bare.request('room.list')).error?.code).toBe('UNAUTHORIZED');
    const hello = bare.next((f) => f.type === 'hello');
    bare.send('auth', { token });
    await hello;
    await expect(bare.call('room.list')).resolves.toHaveProperty('rooms');

    const silent = await WsClient.connect(stack.gatewayUrls[1]);
    expect((await silent.closed).code).toBe(4001); // AUTH_TIMEOUT_MS is 1.5 s in this stack
  });

  it('closes a socket that stays silent (no frame, no pong) for twice the heartbeat', async () => {
    const { token } = await guest(stack.apiUrl, uniqueName('idle'));
    const openedAt = Date.now();
    const silent = await WsClient.connect(stack.gatewayUrls[0], token, { autoPong: false });
    expect(silent.hello!.data.heartbeatMs).toBe(4000);
    const talker = await WsClient.connect(stack.gatewayUrls[0], token);
    clients.push(talker);
    await silent.closed;
    // uWS checks idleness on a 4 s tick: closed within 2 × heartbeat plus one tick.
    expect(Date.now() - openedAt).toBeLessThanOrEqual(2 * 4000 + 4000 + 500);
    // A client that answers pings (every ws client does) stays.
    expect(talker.ws.readyState).toBe(talker.ws.OPEN);
    await expect(talker.call('room.list')).resolves.toHaveProperty('rooms');
  });

  it('keeps every process alive through all of the above', () => {
    for (const p of stack.processes) expect(p.child.exitCode).toBeNull();
  });
});
