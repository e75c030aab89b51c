import { Client } from 'pg';
import { startRedisServer } from '@chat/devstack';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { PushEndpoint, TestSubscription } from '../support/push-endpoint';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

/**
 * Web Push end to end: api, messages, presence, push and two gateways as separate processes,
 * against a push endpoint inside the test that checks every request's VAPID JWT against the
 * key the api serves and decrypts its aes128gcm body with the subscription's private key.
 */
/** Push jobs a push instance runs at once (the kill test fills every slot). */
const CONCURRENCY = 4;

describe('push notifications', () => {
  let stack: ChatStack;
  let endpoint: PushEndpoint;
  const open: WsClient[] = [];

  type Session = { token: string; user: { id: string; username: string } };

  const http = (path: string, token: string | undefined, method = 'GET', body?: unknown) =>
    fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function subscribed(prefix: string): Promise<Session & { sub: TestSubscription }> {
    const session = await guest(stack.apiUrl, uniqueName(prefix));
    const sub = endpoint.subscribe();
    const res = await http('/api/push/subscriptions', session.token, 'POST', sub.toJSON());
    expect(res.status).toBe(201);
    return { ...session, sub };
  }

  async function connect(session: Session, gateway = 0): Promise<WsClient> {
    const client = await WsClient.connect(stack.gatewayUrls[gateway], session.token);
    open.push(client);
    return client;
  }

  /** Connects and sets a status, resolved once the presence service announced it. */
  async function withStatus(session: Session, status: 'online' | 'away' | 'dnd'): Promise<WsClient> {
    const client = await connect(session, 1);
    const announced = client.next((f) => f.type === 'presence.updated' && f.data.userId === session.user.id && f.data.status === status);
    await client.call('presence.set', { status });
    await announced;
    return client;
  }

  async function metric(name: string): Promise<number> {
    const push = stack.processes.find((p) => p.name.startsWith('push') && p.child.exitCode === null && p.child.signalCode === null)!;
    const text = await (await fetch(`http://127.0.0.1:${push.port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  beforeAll(async () => {
    stack = await startChatStack('push', {
      push: 1,
      env: {
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
        PUSH_BACKOFF_MS: '200',
        PUSH_JOB_LOCK_MS: '2000',
        PUSH_CLAIM_IDLE_MS: '1000',
        PUSH_CONCURRENCY: String(CONCURRENCY),
        OFFLINE_GRACE_MS: '1000',
      },
    });
    const res = await http('/api/push/vapid-public-key', undefined);
    const { publicKey } = (await res.json()) as { publicKey: string };
    expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
    endpoint = await PushEndpoint.start(publicKey);
  });

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await endpoint?.close();
    await stack?.teardown();
  });

  it('pushes each message once to offline and away members, never to online or dnd members or the author', async () => {
    const alice = await subscribed('pa');
    const bob = await subscribed('pb'); // never connects: offline
    const carol = await subscribed('pc');
    const dave = await subscribed('pd');
    const erin = await subscribed('pe');
    const author = await connect(alice);
    const { room } = await author.call('room.create', { name: 'push-team', kind: 'private' });
    for (const member of [bob, carol, dave, erin]) await author.call('room.invite', { roomId: room.id, userId: member.user.id });
    for (const member of [alice, bob, carol, dave, erin]) {
      const res = await http(`/api/rooms/${room.id}/notify`, member.token, 'PUT', { level: 'all' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ roomId: room.id, level: 'all' });
    }
    await withStatus(carol, 'online');
    await withStatus(dave, 'dnd');
    await withStatus(erin, 'away');

    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await author.call('message.send', { roomId: room.id, text: `news ${i}`, clientMsgId: `n${i}` })).message.id);

    const toBob = await endpoint.waitFor(bob.sub, 5);
    const toErin = await endpoint.waitFor(erin.sub, 5);
    for (const pushes of [toBob, toErin]) {
      expect(pushes.map((p) => p.payload.messageId).sort()).toEqual([...ids].sort());
      expect(pushes[0].payload).toMatchObject({ title: `${alice.user.username} in #push-team`, roomId: room.id });
      expect(pushes.map((p) => p.payload.body).sort()).toEqual(['news 1', 'news 2', 'news 3', 'news 4', 'news 5']);
      expect(pushes[0].payload.url).toContain(encodeURIComponent(room.id));
      expect(pushes.every((p) => p.topic && p.topic.length <= 32)).toBe(true);
    }
    // Exactly ten jobs were made for these five messages: none for carol, dave or alice.
    expect(await metric('chat_push_jobs_queued_total')).toBe(10);
    expect(endpoint.of(carol.sub)).toHaveLength(0);
    expect(endpoint.of(dave.sub)).toHaveLength(0);
    expect(endpoint.of(alice.sub)).toHaveLength(0);
    expect(endpoint.failures).toEqual([]);
  });

  it('follows levels and @mentions: all, mentions (the default outside DMs), none; @room from moderators only', async () => {
    const owner = await subscribed('mo');
    const bob = await subscribed('mb'); // default level: mentions
    const frank = await subscribed('mf'); // none
    const gina = await subscribed('mg'); // all
    const outsider = await subscribed('mx');
    const ws = await connect(owner);
    const { room } = await ws.call('room.create', { name: 'push-lobby' });
    const bobWs = await connect(bob);
    const frankWs = await connect(frank);
    const ginaWs = await connect(gina);
    const outsiderWs = await connect(outsider);
    for (const c of [bobWs, frankWs, ginaWs]) await c.call('room.join', { roomId: room.id });
    expect(await frankWs.call('notify.set', { roomId: room.id, level: 'none' })).toEqual({ roomId: room.id, level: 'none' });
    expect((await frankWs.request('notify.set', { roomId: room.id, level: 'loud' })).error?.code).toBe('BAD_REQUEST');
    expect((await outsiderWs.request('notify.set', { roomId: room.id, level: 'all' })).error?.code).toBe('FORBIDDEN');
    expect((await outsiderWs.request('notify.set', { roomId: 'no-such-room', level: 'all' })).error?.code).toBe('NOT_FOUND');
    await outsiderWs.close();
    expect(await ginaWs.call('notify.set', { roomId: room.id, level: 'all' })).toEqual({ roomId: room.id, level: 'all' });
    const listed = (await bobWs.call('room.list')).rooms.find((r: { id: string }) => r.id === room.id);
    expect(listed.notify).toBe('mentions');
    expect((await ginaWs.call('room.list')).rooms.find((r: { id: string }) => r.id === room.id).notify).toBe('all');
    // Everyone goes offline: their sockets close, and presence says so after the grace.
    const offline = ws.waitForCount((f) => f.type === 'presence.updated' && f.data.status === 'offline', 3, 30_000);
    await Promise.all([bobWs.close(), frankWs.close(), ginaWs.close()]);
    await offline;

    const send = async (client: WsClient, text: string) =>
      (await client.call('message.send', { roomId: room.id, text, clientMsgId: uniqueName('c') })).message;
    const plain = await send(ws, 'hello everyone');
    const toBob = await send(ws, `hey @${bob.user.username.toUpperCase()}, and @${outsider.user.username}`);
    const toFrank = await send(ws, `@${frank.user.username} look`);
    const roomWide = await send(ws, '@room meeting now');
    expect(toBob.mentions).toEqual([bob.user.id]); // the outsider is not a member: not mentioned
    expect(toFrank.mentions).toEqual([frank.user.id]);
    expect(roomWide.mentionsRoom).toBe(true);
    expect(plain.mentions).toBeUndefined();
    const bobs = await endpoint.waitFor(bob.sub, 2);
    expect(bobs.map((p) => p.payload.messageId).sort()).toEqual([toBob.id, roomWide.id].sort());
    // bob is a plain member: his @room is text, so it reaches gina (level all) only.
    const bobAgain = await connect(bob);
    const bobsRoom = await send(bobAgain, '@room anyone?');
    expect(bobsRoom.mentionsRoom).toBeUndefined();
    await bobAgain.close();

    const ginas = await endpoint.waitFor(gina.sub, 5);
    expect(ginas.map((p) => p.payload.messageId).sort()).toEqual([plain.id, toBob.id, toFrank.id, roomWide.id, bobsRoom.id].sort());
    expect(endpoint.of(bob.sub)).toHaveLength(2);
    expect(endpoint.of(frank.sub)).toHaveLength(0);
    expect(endpoint.of(outsider.sub)).toHaveLength(0);
    expect(endpoint.of(owner.sub)).toHaveLength(0);
  });

  it('notifies a DM at level all by default', async () => {
    const a = await subscribed('da');
    const b = await subscribed('db');
    const ws = await connect(a);
    const { room } = await ws.call('dm.open', { userId: b.user.id });
    const { message } = await ws.call('message.send', { roomId: room.id, text: 'psst', clientMsgId: 'dm1' });
    const [push] = await endpoint.waitFor(b.sub, 1);
    expect(push.payload).toEqual({
      title: a.user.username,
      body: 'psst',
      roomId: room.id,
      messageId: message.id,
      url: `/?room=${encodeURIComponent(room.id)}&message=${encodeURIComponent(message.id)}`,
    });
  });

  it('deletes a subscription answered 410 at once and never tries it again', async () => {
    const a = await subscribed('ga');
    const b = await subscribed('gb');
    const spare = endpoint.subscribe(); // b's second browser keeps working
    expect((await http('/api/push/subscriptions', b.token, 'POST', spare.toJSON())).status).toBe(201);
    b.sub.answers.push({ status: 410 });
    const ws = await connect(a);
    const { room } = await ws.call('dm.open', { userId: b.user.id });
    await ws.call('message.send', { roomId: room.id, text: 'one', clientMsgId: 'g1' });
    await endpoint.waitFor(spare, 1);
    const db = new Client({ connectionString: stack.database.url });
    await db.connect();
    try {
      const rows = await waitFor(
        async () => {
          const { rows } = await db.query('SELECT endpoint FROM push_subscriptions WHERE user_id = $1', [b.user.id]);
          return rows.length === 1 ? rows : undefined;
        },
        { what: 'the gone subscription to be deleted' },
      );
      expect(rows).toEqual([{ endpoint: spare.endpoint }]);
    } finally {
      await db.end();
    }
    await ws.call('message.send', { roomId: room.id, text: 'two', clientMsgId: 'g2' });
    await endpoint.waitFor(spare, 2);
    expect(b.sub.requests).toHaveLength(1);
    expect(await metric('chat_push_subscriptions_pruned_total')).toBeGreaterThanOrEqual(1);
  });

  it('retries 429 and 5xx with backoff, waiting at least what Retry-After asks, and delivers once', async () => {
    const a = await subscribed('ra');
    const b = await subscribed('rb');
    b.sub.answers.push({ status: 429, retryAfter: '1' }, { status: 503 });
    const ws = await connect(a);
    const { room } = await ws.call('dm.open', { userId: b.user.id });
    await ws.call('message.send', { roomId: room.id, text: 'patience', clientMsgId: 'r1' });
    const pushes = await endpoint.waitFor(b.sub, 1);
    expect(pushes).toHaveLength(1);
    expect(b.sub.requests).toHaveLength(3);
    expect(b.sub.requests[1] - b.sub.requests[0]).toBeGreaterThanOrEqual(1000);
  });

  it('refuses bad subscriptions with 400 and anonymous ones with 401, and unsubscribes', async () => {
    const a = await guest(stack.apiUrl, uniqueName('sa'));
    const good = endpoint.subscribe().toJSON();
    expect((await http('/api/push/subscriptions', undefined, 'POST', good)).status).toBe(401);
    expect((await http('/api/push/subscriptions', undefined, 'DELETE', { endpoint: good.endpoint })).status).toBe(401);
    const bad = [
      { ...good, endpoint: 'not a url' },
      { ...good, endpoint: 'ftp://127.0.0.1/x' },
      { ...good, endpoint: 'http://user:pw@127.0.0.1/x' },
      { ...good, keys: { ...good.keys, p256dh: 'short' } },
      { ...good, keys: { ...good.keys, p256dh: `B${'A'.repeat(86)}` } }, // right length, not on the curve
      { ...good, keys: { ...good.keys, auth: 'AAAA' } },
      { endpoint: good.endpoint },
    ];
    for (const body of bad) {
      const res = await http('/api/push/subscriptions', a.token, 'POST', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    }
    expect((await http('/api/push/subscriptions', a.token, 'POST', good)).status).toBe(201);
    expect((await http('/api/push/subscriptions', a.token, 'DELETE', { endpoint: good.endpoint })).status).toBe(204);
    expect((await http(`/api/rooms/nope/notify`, a.token, 'PUT', { level: 'all' })).status).toBe(404);
    expect((await http(`/api/rooms/nope/notify`, a.token, 'PUT', { level: 'loud' })).status).toBe(400);
  });

  it('loses no notification and doubles none when the push service is killed -9 mid-stream', async () => {
    const a = await subscribed('ka');
    const b = await subscribed('kb');
    const ws = await connect(a);
    const { room } = await ws.call('dm.open', { userId: b.user.id });
    const total = 120;
    const sent: string[] = [];
    const sendAll = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) sent.push((await ws.call('message.send', { roomId: room.id, text: `k${i}`, clientMsgId: `k${i}` })).message.id);
    };
    await sendAll(1, 20);
    await endpoint.waitFor(b.sub, 20);
    // Every sending slot of the worker ends up waiting on the endpoint, so no job is between
    // the push service's answer and its completion (that window is the Topic header's); then
    // the process dies with events read but unacknowledged and jobs active.
    endpoint.hold();
    await sendAll(21, 60);
    await endpoint.waitHeld(CONCURRENCY);
    const victim = stack.processes.find((p) => p.name.startsWith('push'))!;
    victim.kill('SIGKILL');
    await victim.exited;
    await endpoint.waitHeldDisconnected();
    endpoint.release();
    await sendAll(61, 80); // while no push instance runs
    await stack.add('push');
    await sendAll(81, total);
    const pushes = await endpoint.waitFor(b.sub, total, 60_000);
    const ids = pushes.map((p) => p.payload.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...sent].sort());
  });

  it('keeps notifying after Redis restarts empty', async () => {
    const a = await subscribed('xa');
    const b = await subscribed('xb');
    const ws = await connect(a);
    const { room } = await ws.call('dm.open', { userId: b.user.id });
    await ws.call('message.send', { roomId: room.id, text: 'before', clientMsgId: 'x1' });
    await endpoint.waitFor(b.sub, 1);

    stack.redis.kill();
    await stack.redis.stop();
    const restarted = await startRedisServer({ port: stack.redis.port });
    try {
      await ws.closed;
      const again = await waitFor(() => WsClient.connect(stack.gatewayUrls[0], a.token).catch(() => undefined), {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: 'a session after the restart',
      });
      open.push(again);
      const sent = await waitFor(
        () => again.request('message.send', { roomId: room.id, text: 'after', clientMsgId: 'x2' }, 2000).then((r) => (r.ok ? r : undefined), () => undefined),
        { timeoutMs: 20_000, intervalMs: 100, what: 'a send acknowledged after the restart' },
      );
      const pushes = await endpoint.waitFor(b.sub, 2, 30_000);
      expect(pushes.map((p) => p.payload.messageId)).toEqual([expect.any(String), sent.data.message.id]);
      expect(pushes[1].payload.body).toBe('after');
    } finally {
      await restarted.stop();
    }
  });
});
