import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { ReceiverPath, WebhookReceiver } from '../support/webhook-receiver';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

/**
 * Outgoing webhooks end to end: api, messages, presence, webhooks and a gateway as separate
 * processes, against a receiver inside the test that verifies every request's signature with
 * the helper libs/webhooks exports. The stack may call private addresses (the receiver is on
 * 127.0.0.1); a second api with the default settings shows they are refused otherwise.
 */
const DISABLE_AFTER = 3;

describe('webhooks', () => {
  let stack: ChatStack;
  let receiver: WebhookReceiver;
  const open: WsClient[] = [];

  type Session = { token: string; user: { id: string; username: string } };

  const http = (path: string, token: string | undefined, method = 'GET', body?: unknown, base = stack.apiUrl) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function person(prefix: string): Promise<Session & { ws: WsClient }> {
    const session = await guest(stack.apiUrl, uniqueName(prefix));
    const ws = await WsClient.connect(stack.gatewayUrls[0], session.token);
    open.push(ws);
    return { ...session, ws };
  }

  /** Registers a receiver path as a webhook of the room; the secret from the answer goes to the receiver. */
  async function register(owner: Session, roomId: string, events?: string[]): Promise<{ id: string; path: ReceiverPath }> {
    const path = receiver.path();
    const res = await http(`/api/rooms/${roomId}/webhooks`, owner.token, 'POST', { url: path.url, ...(events ? { events } : {}) });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; secret: string; events: string[] };
    path.secret = created.secret;
    return { id: created.id, path };
  }

  const deliveries = async (owner: Session, roomId: string, webhookId: string) =>
    (await (await http(`/api/rooms/${roomId}/webhooks/${webhookId}/deliveries`, owner.token)).json()) as {
      webhook: { enabled: boolean; failureCount: number; disabledReason?: string };
      deliveries: { eventId: string; attempt: number; status?: number; outcome: string; error?: string }[];
    };

  const send = async (client: WsClient, roomId: string, text: string) =>
    (await client.call('message.send', { roomId, text, clientMsgId: uniqueName('c') })).message as { id: string; seq: number };

  beforeAll(async () => {
    stack = await startChatStack('webhooks', {
      gateways: 1,
      messages: 1,
      webhooks: 1,
      env: {
        WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'true',
        WEBHOOK_BACKOFF_MS: '100',
        WEBHOOK_ATTEMPTS: '6',
        WEBHOOK_DISABLE_AFTER: String(DISABLE_AFTER),
        WEBHOOK_CLAIM_IDLE_MS: '1000',
        WEBHOOK_JOB_LOCK_MS: '2000',
      },
    });
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await receiver?.close();
    await stack?.teardown();
  });

  afterEach(() => expect(receiver.failures).toEqual([]));

  it('delivers the events each webhook asked for, signed, with the secret shown only at creation', async () => {
    const owner = await person('who');
    const { room } = await owner.ws.call('room.create', { name: 'hooked' });
    const messages = await register(owner, room.id, ['message.created', 'message.updated']);
    const joins = await register(owner, room.id, ['member.joined']);
    const reactions = await register(owner, room.id, ['reaction.added', 'reaction.removed']);

    const listed = (await (await http(`/api/rooms/${room.id}/webhooks`, owner.token)).json()) as Record<string, unknown>[];
    expect(listed.map((w) => w.id).sort()).toEqual([messages.id, joins.id, reactions.id].sort());
    for (const w of listed) expect(w).not.toHaveProperty('secret');

    const sent = await send(owner.ws, room.id, 'hello hooks');
    const guestB = await person('whb');
    await guestB.ws.call('room.join', { roomId: room.id });
    await owner.ws.call('message.edit', { messageId: sent.id, text: 'hello hooks (edited)' });
    await guestB.ws.call('reaction.add', { messageId: sent.id, emoji: '👍' });

    await receiver.until(
      () => messages.path.accepted.length >= 2 && joins.path.accepted.length >= 1 && reactions.path.accepted.length >= 1,
      'the four events',
    );
    const [created, updated] = messages.path.accepted.map((r) => r.event);
    expect(created).toEqual({
      id: expect.stringMatching(/^\d+-\d+-\d+$/),
      type: 'message.created',
      roomId: room.id,
      data: { message: expect.objectContaining({ id: sent.id, text: 'hello hooks', author: { id: owner.user.id, username: owner.user.username } }) },
      timestamp: expect.any(String),
    });
    expect(updated).toMatchObject({ type: 'message.updated', data: { message: { id: sent.id, text: 'hello hooks (edited)' } } });
    expect(messages.path.accepted[0].headers).toMatchObject({ 'x-chat-webhook-id': messages.id, 'x-chat-event-id': created.id, 'x-chat-delivery-attempt': '1' });
    expect(joins.path.accepted.map((r) => r.event)).toEqual([
      { id: expect.any(String), type: 'member.joined', roomId: room.id, data: { roomId: room.id, userId: guestB.user.id }, timestamp: expect.any(String) },
    ]);
    expect(reactions.path.accepted.map((r) => r.event)).toEqual([
      {
        id: expect.any(String),
        type: 'reaction.added',
        roomId: room.id,
        data: { roomId: room.id, seq: sent.seq, messageId: sent.id, emoji: '👍', userId: guestB.user.id },
        timestamp: expect.any(String),
      },
    ]);
    // The filter held: nothing else reached any path (creating a room announces no join).
    expect(messages.path.requests).toHaveLength(2);
    expect(joins.path.requests).toHaveLength(1);
    expect(reactions.path.requests).toHaveLength(1);
  });

  it('retries a delivery the receiver answered 500, once, and the log shows both attempts', async () => {
    const owner = await person('wr');
    const { room } = await owner.ws.call('room.create', { name: 'flaky' });
    const hook = await register(owner, room.id, ['message.created']);
    hook.path.answers.push(500);
    await send(owner.ws, room.id, 'eventually');
    await receiver.until(() => hook.path.accepted.length === 1, 'the retried delivery');
    const [first, second] = hook.path.requests;
    expect(second.event).toEqual(first.event);
    expect([first.status, second.status]).toEqual([500, 200]);
    expect([first.headers['x-chat-delivery-attempt'], second.headers['x-chat-delivery-attempt']]).toEqual(['1', '2']);
    const log = await waitFor(async () => {
      const l = await deliveries(owner, room.id, hook.id);
      return l.deliveries.length === 2 && l;
    }, { what: 'both attempts in the log' });
    expect(log.deliveries).toEqual([
      expect.objectContaining({ eventId: first.event.id, attempt: 2, status: 200, outcome: 'delivered' }),
      expect.objectContaining({ eventId: first.event.id, attempt: 1, status: 500, outcome: 'failed', error: 'receiver answered 500' }),
    ]);
    expect(log.webhook).toMatchObject({ enabled: true, failureCount: 0 });
  });

  it(`disables a webhook after ${DISABLE_AFTER} failed attempts in a row, says why, and delivers again once re-enabled`, async () => {
    const owner = await person('wd');
    const { room } = await owner.ws.call('room.create', { name: 'broken' });
    const hook = await register(owner, room.id, ['message.created']);
    // A second webhook of the room: once it has an event, the dispatcher has handled that event for both.
    const sentinel = await register(owner, room.id, ['message.created']);
    hook.path.always = 500;
    await send(owner.ws, room.id, 'into the void');
    const log = await waitFor(async () => {
      const l = await deliveries(owner, room.id, hook.id);
      return !l.webhook.enabled && l;
    }, { what: 'the webhook to be disabled', timeoutMs: 20_000 });
    expect(log.webhook.disabledReason).toMatch(new RegExp(`^${DISABLE_AFTER} delivery attempts failed in a row; the last: receiver answered 500`));
    expect(log.deliveries.map((d) => [d.attempt, d.outcome, d.status])).toEqual([
      [3, 'failed', 500],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
    // The job was given up with the webhook: no fourth attempt, and new events are not queued.
    await send(owner.ws, room.id, 'while disabled');
    await receiver.until(() => sentinel.path.accepted.length === 2, "the sentinel's second event");
    const listed = (await (await http(`/api/rooms/${room.id}/webhooks`, owner.token)).json()) as { id: string; enabled: boolean }[];
    expect(listed.find((w) => w.id === hook.id)).toMatchObject({ enabled: false, disabledReason: expect.any(String) });
    expect(listed.find((w) => w.id === sentinel.id)).toMatchObject({ enabled: true, failureCount: 0 });

    hook.path.always = 200;
    const enabled = await http(`/api/rooms/${room.id}/webhooks/${hook.id}`, owner.token, 'PATCH', { enabled: true });
    expect(enabled.status).toBe(200);
    expect(await enabled.json()).toMatchObject({ enabled: true, failureCount: 0 });
    await send(owner.ws, room.id, 'back again');
    await receiver.until(() => hook.path.accepted.length === 1, 'a delivery after re-enabling');
    expect(hook.path.accepted[0].event.data).toMatchObject({ message: { text: 'back again' } });
    expect(hook.path.requests).toHaveLength(DISABLE_AFTER + 1);
  });

  it('lets only the owner and moderators manage webhooks (403 for others) and refuses bad input with a reason', async () => {
    const owner = await person('wo');
    const member = await person('wm');
    const { room } = await owner.ws.call('room.create', { name: 'guarded' });
    await member.ws.call('room.join', { roomId: room.id });
    const hook = await register(owner, room.id);
    expect((await http(`/api/rooms/${room.id}/webhooks`, member.token, 'POST', { url: receiver.path().url })).status).toBe(403);
    expect((await http(`/api/rooms/${room.id}/webhooks`, member.token)).status).toBe(403);
    expect((await http(`/api/rooms/${room.id}/webhooks/${hook.id}/deliveries`, member.token)).status).toBe(403);
    expect((await http(`/api/rooms/${room.id}/webhooks/${hook.id}`, member.token, 'DELETE')).status).toBe(403);
    expect((await http(`/api/rooms/${room.id}/webhooks`, undefined)).status).toBe(401);

    await owner.ws.call('room.set_role', { roomId: room.id, userId: member.user.id, role: 'moderator' });
    expect((await http(`/api/rooms/${room.id}/webhooks`, member.token)).status).toBe(200);

    const bad = await http(`/api/rooms/${room.id}/webhooks`, owner.token, 'POST', { url: receiver.path().url, events: ['message.sent'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/events/);
    expect((await http(`/api/rooms/${room.id}/webhooks`, owner.token, 'POST', { events: ['member.left'] })).status).toBe(400);
    expect((await http(`/api/rooms/r-nope/webhooks`, owner.token, 'POST', { url: receiver.path().url })).status).toBe(404);

    expect((await http(`/api/rooms/${room.id}/webhooks/${hook.id}`, member.token, 'DELETE')).status).toBe(204);
    expect(await (await http(`/api/rooms/${room.id}/webhooks`, owner.token)).json()).toEqual([]);
  });

  it('counts deliveries by outcome, disabled webhooks and latency on /metrics', async () => {
    const webhooks = stack.processes.find((p) => p.name.startsWith('webhooks'))!;
    const text = await (await fetch(`http://127.0.0.1:${webhooks.port}/metrics`)).text();
    const value = (series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ').pop() ?? 0);
    // The tests above delivered events, had attempts fail (the 500 retried, the disabled webhook) and disabled one.
    expect(value('chat_webhook_deliveries_total{outcome="delivered"}')).toBeGreaterThanOrEqual(5);
    expect(value('chat_webhook_deliveries_total{outcome="failed"}')).toBeGreaterThanOrEqual(1 + DISABLE_AFTER);
    expect(value('chat_webhooks_disabled_total')).toBe(1);
    expect(value('chat_webhook_latency_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(value('chat_webhook_jobs_queued_total')).toBeGreaterThanOrEqual(8);
  });

  it('refuses a private address by default', async () => {
    const strictApi = await stack.add('api', { WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'false' });
    const strict = `http://127.0.0.1:${strictApi.port}`;
    const owner = await person('wp');
    const { room } = await owner.ws.call('room.create', { name: 'private-targets' });
    for (const url of [receiver.path().url, 'https://127.0.0.1:8443/hook', 'https://169.254.169.254/latest', 'https://[::1]/hook']) {
      const res = await http(`/api/rooms/${room.id}/webhooks`, owner.token, 'POST', { url }, strict);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/https|public address/);
    }
    expect(await (await http(`/api/rooms/${room.id}/webhooks`, owner.token, 'GET', undefined, strict)).json()).toEqual([]);
  });
});
