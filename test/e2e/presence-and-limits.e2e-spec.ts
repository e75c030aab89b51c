import { setTimeout as sleep } from 'node:timers/promises';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { Frame, guest, WsClient } from '../support/ws-client';

const GRACE_MS = 1500;
const TYPING_TTL_MS = 1500;

/**
 * Presence (multi-device, offline grace, dead gateways), typing, and rate limits, end to end
 * with the presence service and two gateways as processes. Timings are shortened by config;
 * where the contract is "nothing happens for a while", the test waits that while.
 */
describe('presence, typing and rate limits', () => {
  let stack: ChatStack;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('presence', {
      env: {
        OFFLINE_GRACE_MS: String(GRACE_MS),
        TYPING_TTL_MS: String(TYPING_TTL_MS),
        GATEWAY_HEARTBEAT_INTERVAL_MS: '500',
        GATEWAY_DEAD_AFTER_MS: '2000',
        RATE_CONN_SENDS_PER_SEC: '2',
        RATE_CONN_SENDS_BURST: '3',
        RATE_USER_WINDOW_MS: '3000',
        RATE_USER_SENDS: '5',
      },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  async function login(name: string) {
    return guest(stack.apiUrl, uniqueName(name));
  }

  async function open(url: string, token: string): Promise<WsClient> {
    const client = await WsClient.connect(url, token);
    clients.push(client);
    return client;
  }

  const presenceOf = (userId: string, status?: string) => (f: Frame) =>
    f.type === 'presence.updated' && f.data.userId === userId && (status === undefined || f.data.status === status);

  /** A watcher in a room with `who`, on gateway 0. */
  async function watchedRoom(whoToken: string, whoGateway: number) {
    const watcher = await login('watcher');
    const w = await open(stack.gatewayUrls[0], watcher.token);
    const { room } = await w.call('room.create', { name: uniqueName('p') });
    const who = await open(stack.gatewayUrls[whoGateway], whoToken);
    await who.call('room.join', { roomId: room.id });
    return { w, who, roomId: room.id };
  }

  it('keeps a user online while one of two devices is connected, and offline after the grace once none is', async () => {
    const bob = await login('bob');
    const { w, who: laptop, roomId } = await watchedRoom(bob.token, 1);
    const phone = await open(stack.gatewayUrls[0], bob.token);
    const members = await w.call('room.members', { roomId });
    expect(members.members.find((m: { id: string }) => m.id === bob.user.id).presence).toBe('online');

    await laptop.close();
    await sleep(GRACE_MS + 1000); // the contract: nothing changes while a device remains
    expect(w.frames.filter(presenceOf(bob.user.id, 'offline'))).toEqual([]);

    const closedAt = Date.now();
    const offline = w.next(presenceOf(bob.user.id, 'offline'), 10_000);
    await phone.close();
    const event = await offline;
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(event.data).toMatchObject({ userId: bob.user.id, status: 'offline', lastSeenAt: expect.any(String) });
    const after = await w.call('room.members', { roomId });
    expect(after.members.find((m: { id: string }) => m.id === bob.user.id).presence).toBe('offline');

    const online = w.next(presenceOf(bob.user.id, 'online'));
    await open(stack.gatewayUrls[1], bob.token);
    await online;
  });

  it('publishes away and dnd, keeps them across reconnects, and rejects bad statuses', async () => {
    const carol = await login('carol');
    const { w, who } = await watchedRoom(carol.token, 1);
    const away = w.next(presenceOf(carol.user.id, 'away'));
    await who.call('presence.set', { status: 'away' });
    await away;
    expect((await who.request('presence.set', { status: 'invisible' })).error?.code).toBe('BAD_REQUEST');
    const dnd = w.next(presenceOf(carol.user.id, 'dnd'));
    await who.call('presence.set', { status: 'dnd' });
    await dnd;
    const again = await open(stack.gatewayUrls[0], carol.token);
    const members = await again.call('room.members', { roomId: (await again.call('room.list')).rooms.find((r: { joined: boolean }) => r.joined).id });
    expect(members.members.find((m: { id: string }) => m.id === carol.user.id).presence).toBe('dnd');
  });

  it('marks the users of a gateway killed with -9 offline on the other gateway', async () => {
    const victim = await stack.add('gateway');
    const dave = await login('dave');
    const { w, roomId } = await watchedRoom(dave.token, 0);
    // dave's only connection moves to the doomed gateway.
    await clients.find((c) => c.hello?.data.userId === dave.user.id)!.close();
    const doomed = await WsClient.connect(`ws://127.0.0.1:${victim.port}/ws`, dave.token);
    // Reconnected within the grace: still online, no event either way.
    expect((await w.call('room.members', { roomId })).members.find((m: { id: string }) => m.id === dave.user.id).presence).toBe('online');

    const offline = w.next(presenceOf(dave.user.id, 'offline'), 30_000);
    victim.kill('SIGKILL');
    await doomed.closed;
    await offline;
  });

  it('shows typing, expires it without a stop, and clears it on stop and on send', async () => {
    const erin = await login('erin');
    const { w, who, roomId } = await watchedRoom(erin.token, 1);
    const typing = (ids: string[]) => (f: Frame) =>
      f.type === 'typing.updated' && f.data.roomId === roomId && JSON.stringify(f.data.userIds) === JSON.stringify(ids);

    const started = w.next(typing([erin.user.id]));
    await who.call('typing.start', { roomId });
    await started;
    const startedAt = Date.now();
    const expired = w.next(typing([]), 10_000);
    await expired;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(TYPING_TTL_MS - 600);

    const again = w.next(typing([erin.user.id]));
    await who.call('typing.start', { roomId });
    await again;
    const stopped = w.next(typing([]));
    await who.call('typing.stop', { roomId });
    await stopped;

    const third = w.next(typing([erin.user.id]));
    await who.call('typing.start', { roomId });
    await third;
    const cleared = w.next(typing([]));
    await who.call('message.send', { roomId, text: 'done typing', clientMsgId: 't' });
    await cleared;

    const outsider = await open(stack.gatewayUrls[0], (await login('tout')).token);
    expect((await outsider.request('typing.start', { roomId })).error?.code).toBe('FORBIDDEN');
    expect((await outsider.request('typing.start', {})).error?.code).toBe('BAD_REQUEST');
  });

  it('rate-limits sends per connection with retryAfterMs, keeps the socket open, and recovers', async () => {
    const frank = await login('frank');
    const { who, roomId } = await watchedRoom(frank.token, 0);
    const replies = await Promise.all([1, 2, 3, 4].map((i) => who.request('message.send', { roomId, text: `r${i}`, clientMsgId: `c${i}` })));
    expect(replies.slice(0, 3).every((r) => r.ok)).toBe(true);
    expect(replies[3].error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    const wait = replies[3].error!.retryAfterMs!;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
    await sleep(wait); // the contract is time: a token is back after retryAfterMs
    expect((await who.request('message.send', { roomId, text: 'again', clientMsgId: 'c4' })).ok).toBe(true);
  });

  it('rate-limits a user across gateways, and recovers after the window', async () => {
    const gina = await login('gina');
    const { who: onA, roomId } = await watchedRoom(gina.token, 0);
    const onB = await open(stack.gatewayUrls[1], gina.token);
    for (let i = 0; i < 3; i++) expect((await onA.request('message.send', { roomId, text: `a${i}`, clientMsgId: `a${i}` })).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect((await onB.request('message.send', { roomId, text: `b${i}`, clientMsgId: `b${i}` })).ok).toBe(true);
    const limited = await onB.request('message.send', { roomId, text: 'b2', clientMsgId: 'b2' });
    expect(limited.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('user') });
    expect(limited.error!.retryAfterMs!).toBeGreaterThan(0);
    expect(limited.error!.retryAfterMs!).toBeLessThanOrEqual(3000);
    await sleep(limited.error!.retryAfterMs!);
    expect((await onB.request('message.send', { roomId, text: 'b3', clientMsgId: 'b3' })).ok).toBe(true);
    expect((await onA.call('room.list')).rooms).toBeDefined(); // both sockets stayed open
  });
});
