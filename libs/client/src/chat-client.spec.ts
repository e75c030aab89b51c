import { FakeWebSocket } from '../../../test/support/fake-web-socket';
import { messageFixture } from '../../../test/support/message-fixture';
import type { Message } from '../../protocol/src/wire';
import { ChatClient, ChatClientOptions, TokenReason } from './chat-client';
import { ChatRequestError, ClientClosedError, ConnectionLostError, RequestTimeoutError } from './errors';

const msg = (seq: number, roomId = 'r1', authorId = 'u-other'): Message => messageFixture(seq, { roomId, authorId });
const room = (id: string, lastSeq = 0) => ({ id, name: id, topic: '', kind: 'public', createdBy: 'u-me', createdAt: '', lastSeq, memberCount: 1 });

/** A token the client can read `exp` from (it never checks signatures: the gateway does). */
const jwt = (expiresInMs: number, n = 0) =>
  ['h', btoa(JSON.stringify({ sub: 'u-me', exp: Math.floor((Date.now() + expiresInMs) / 1000), n })).replace(/=+$/, ''), 's'].join('.');

/** Lets pending promise callbacks (token callbacks, replies) run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('ChatClient', () => {
  let client: ChatClient;
  let tokens: TokenReason[];
  let delivered: Message[];

  function start(options: Partial<ChatClientOptions> = {}): ChatClient {
    tokens = [];
    delivered = [];
    client = new ChatClient({
      url: 'ws://gw/ws',
      getToken: (reason) => {
        tokens.push(reason);
        return `token-${tokens.length}`;
      },
      WebSocket: FakeWebSocket,
      random: () => 0, // reconnect at once
      ...options,
    });
    client.on('message', (m) => delivered.push(m));
    return client;
  }

  /** Connects and answers hello; returns the socket. */
  async function connected(options: Partial<ChatClientOptions> = {}): Promise<FakeWebSocket> {
    start(options);
    const session = client.connect();
    const ws = await FakeWebSocket.next();
    ws.accept();
    await session;
    return ws;
  }

  /** Follows room r1 from seq `lastSeq` by joining it. */
  async function joined(ws: FakeWebSocket, lastSeq: number, roomId = 'r1'): Promise<void> {
    const reply = client.request('room.join', { roomId });
    await settled();
    ws.reply(ws.lastOp('room.join').ref!, { room: room(roomId, lastSeq), members: [], messages: lastSeq ? [msg(lastSeq, roomId)] : [] });
    await reply;
  }

  beforeEach(() => FakeWebSocket.reset());
  afterEach(() => {
    client?.close();
    jest.useRealTimers();
  });

  describe('requests', () => {
    it('puts the token in the URL and resolves connect() with the session', async () => {
      start();
      const session = client.connect();
      const ws = await FakeWebSocket.next();
      expect(ws.url).toBe('ws://gw/ws?token=token-1');
      expect(tokens).toEqual(['connect']);
      ws.accept('u-alice');
      expect(await session).toMatchObject({ userId: 'u-alice', username: 'alice', reconnected: false });
      expect(client.state).toBe('ready');
    });

    it('matches replies by ref, whatever their order', async () => {
      const ws = await connected();
      const list = client.request('room.list');
      const members = client.request('room.members', { roomId: 'r1' });
      await settled();
      ws.reply(ws.lastOp('room.members').ref!, { members: [] });
      ws.reply(ws.lastOp('room.list').ref!, { rooms: [] });
      expect(await members).toEqual({ members: [] });
      expect(await list).toEqual({ rooms: [] });
    });

    it('rejects with the code of an error reply, and retryAfterMs with RATE_LIMITED', async () => {
      const ws = await connected();
      const joinRoom = client.request('room.join', { roomId: 'nope' });
      await settled();
      ws.fail(ws.lastOp('room.join').ref!, 'RATE_LIMITED', 'slow down', 1200);
      const error = await joinRoom.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChatRequestError);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1200, message: 'slow down' });
    });

    it('refuses bad input itself with BAD_REQUEST, saying what is wrong, and sends nothing', async () => {
      const ws = await connected();
      await expect(client.request('room.join', { roomId: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('roomId') });
      await expect(client.send('r1', '   ')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('text') });
      await expect(client.request('nonsense' as 'ping')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(client.request('constructor' as 'ping')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'unknown op "constructor"' });
      expect(ws.sent.filter((f) => f.type !== 'ping')).toEqual([]);
    });

    it('times out a request nobody answers', async () => {
      await connected({ requestTimeoutMs: 30 });
      await expect(client.request('room.list')).rejects.toBeInstanceOf(RequestTimeoutError);
    });

    it('waits for a connection before sending a request, and fails one in flight when the socket drops', async () => {
      start();
      client.connect().catch(() => undefined);
      const pending = client.request('room.list');
      const ws = await FakeWebSocket.next();
      ws.accept();
      await settled();
      const lost = client.request('room.members', { roomId: 'r1' });
      await settled();
      ws.reply(ws.lastOp('room.list').ref!, { rooms: [] });
      await expect(pending).resolves.toEqual({ rooms: [] });
      ws.drop(1012);
      await expect(lost).rejects.toBeInstanceOf(ConnectionLostError);
    });
  });

  describe('reconnect and resume', () => {
    it('reconnects after network loss and 1001/1012/1013, asking for a token each time', async () => {
      let ws = await connected();
      const reconnecting: number[] = [];
      client.on('reconnecting', ({ code }) => reconnecting.push(code));
      for (const code of [1006, 1001, 1012, 1013]) {
        const next = FakeWebSocket.next();
        ws.drop(code);
        ws = await next;
        const ready = client.once('ready');
        ws.accept();
        await ready;
      }
      expect(reconnecting).toEqual([1006, 1001, 1012, 1013]);
      expect(tokens).toEqual(['connect', 'connect', 'connect', 'connect', 'connect']);
      expect(client.me?.reconnected).toBe(true);
    });

    it('waits longer after each failed attempt, within the backoff bounds, and starts over after a session', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      start({ random: () => 0.999, backoff: { initialMs: 100, maxMs: 300 } });
      const delays: number[] = [];
      client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
      client.connect().catch(() => undefined);
      for (let i = 1; i <= 4; i++) {
        const ws = await FakeWebSocket.next(i);
        ws.drop(1006);
        jest.advanceTimersByTime(delays[delays.length - 1] - 1);
        await settled();
        expect(FakeWebSocket.opened).toHaveLength(i); // not before its delay
        jest.advanceTimersByTime(1);
      }
      const ws = await FakeWebSocket.next(5);
      ws.accept();
      ws.drop(1012);
      expect(delays).toEqual([99, 199, 299, 299, 99]);
    });

    it('spreads attempts over the gateways the url function names', async () => {
      const urls = ['ws://a/ws', 'ws://b/ws'];
      start({ url: (attempt) => urls[attempt % 2] });
      client.connect().catch(() => undefined);
      const first = await FakeWebSocket.next();
      const second = FakeWebSocket.next();
      first.drop(1006);
      expect([first.url, (await second).url].map((u) => new URL(u).host)).toEqual(['a', 'b']);
    });

    it('resumes every followed room from its last delivered seq, and delivers replayed and live messages once, in order', async () => {
      const ws = await connected();
      await joined(ws, 3);
      await joined(ws, 10, 'r2');
      ws.push({ type: 'message.created', data: msg(4) });
      expect(delivered.map((m) => m.seq)).toEqual([4]);

      const next = FakeWebSocket.next();
      ws.drop(1012, 'lost the subscription');
      const again = await next;
      again.accept();
      const resume = again.lastOp('resume');
      expect(resume.data).toEqual({ rooms: { r1: 4, r2: 10 } });
      // A live event overtakes the replay; the replay repeats one; nothing is shown until the reply.
      again.push({ type: 'message.created', data: msg(7) });
      for (const seq of [4, 5, 6, 7]) again.push({ type: 'message.created', data: msg(seq) });
      again.push({ type: 'message.created', data: msg(11, 'r2') });
      expect(delivered.map((m) => m.seq)).toEqual([4]);
      again.reply(resume.ref!, { replayed: 5, truncated: [], forbidden: [] });
      await settled();
      again.push({ type: 'message.created', data: msg(8) });
      expect(delivered.map((m) => `${m.roomId}:${m.seq}`)).toEqual(['r1:4', 'r1:5', 'r1:6', 'r1:7', 'r2:11', 'r1:8']);
    });

    it('pages back with history when a resume was truncated, then delivers in order', async () => {
      const ws = await connected({ requestTimeoutMs: 1000 });
      await joined(ws, 2);
      const next = FakeWebSocket.next();
      ws.drop(1001);
      const again = await next;
      again.accept();
      const resume = again.lastOp('resume');
      for (let seq = 203; seq <= 205; seq++) again.push({ type: 'message.created', data: msg(seq) });
      again.reply(resume.ref!, { replayed: 3, truncated: ['r1'], forbidden: [] });
      await settled();
      // 200 missing seqs: two pages of 100, newest first.
      const first = again.lastOp('message.history');
      expect(first.data).toEqual({ roomId: 'r1', beforeSeq: 203, limit: 100 });
      again.reply(first.ref!, { messages: Array.from({ length: 100 }, (_, i) => msg(103 + i)), hasMore: true });
      await settled();
      const second = again.lastOp('message.history');
      expect(second.data).toEqual({ roomId: 'r1', beforeSeq: 103, limit: 100 });
      again.push({ type: 'message.created', data: msg(206) }); // live, while paging back
      again.reply(second.ref!, { messages: Array.from({ length: 100 }, (_, i) => msg(3 + i)), hasMore: false });
      await settled();
      expect(delivered.map((m) => m.seq)).toEqual(Array.from({ length: 204 }, (_, i) => 3 + i));
    });

    it('stops following rooms the resume says the user is no longer in', async () => {
      const ws = await connected();
      await joined(ws, 1);
      const lost: string[] = [];
      client.on('room.lost', ({ roomId }) => lost.push(roomId));
      const next = FakeWebSocket.next();
      ws.drop(1012);
      const again = await next;
      again.accept();
      again.reply(again.lastOp('resume').ref!, { replayed: 0, truncated: [], forbidden: ['r1'] });
      await settled();
      expect(lost).toEqual(['r1']);
    });

    it('holds what arrives for a room being joined until the reply, then delivers only what follows its snapshot', async () => {
      const ws = await connected();
      const reply = client.request('room.join', { roomId: 'r1' });
      await settled();
      ws.push({ type: 'message.created', data: msg(6) });
      ws.push({ type: 'message.created', data: msg(5) });
      expect(delivered).toEqual([]);
      ws.reply(ws.lastOp('room.join').ref!, { room: room('r1', 5), members: [], messages: [msg(4), msg(5)] });
      await reply;
      expect(delivered.map((m) => m.seq)).toEqual([6]);
    });
  });

  describe('sends', () => {
    it('queues sends made while disconnected and sends them once connected, in order, each with its clientMsgId', async () => {
      start();
      const a = client.send('r1', 'first', { clientMsgId: 'm-a', attachments: ['a1', 'a2'] });
      const b = client.send('r1', 'second');
      expect(client.unsent).toBe(2);
      client.connect().catch(() => undefined);
      const ws = await FakeWebSocket.next();
      ws.accept();
      const sends = ws.ops('message.send');
      expect(sends.map((f) => f.data.text)).toEqual(['first', 'second']);
      expect(sends[0].data.clientMsgId).toBe('m-a');
      expect(sends[0].data.attachments).toEqual(['a1', 'a2']);
      expect(sends[1].data.attachments).toBeUndefined();
      expect(sends[1].data.clientMsgId).toMatch(/.{8,}/);
      ws.reply(sends[1].ref!, { message: msg(2, 'r1', 'u-me') });
      ws.reply(sends[0].ref!, { message: msg(1, 'r1', 'u-me') });
      expect((await a).seq).toBe(1);
      expect((await b).seq).toBe(2);
      expect(client.unsent).toBe(0);
    });

    it('retries a send whose reply was lost with the same clientMsgId, and resolves it once', async () => {
      const ws = await connected();
      const sent = client.send('r1', 'hello');
      const first = ws.lastOp('message.send');
      const next = FakeWebSocket.next();
      ws.drop(1006);
      const again = await next;
      again.accept();
      const retry = again.lastOp('message.send');
      expect(retry.data).toEqual(first.data);
      expect(retry.ref).not.toBe(first.ref);
      again.reply(retry.ref!, { message: msg(1, 'r1', 'u-me') });
      expect((await sent).seq).toBe(1);
      expect(again.ops('message.send')).toHaveLength(1);
    });

    it('retries after RATE_LIMITED (when the server says) and UNAVAILABLE; fails on other errors', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const ws = await connected();
      const limited = client.send('r1', 'wait for it');
      ws.fail(ws.lastOp('message.send').ref!, 'RATE_LIMITED', 'too fast', 700);
      jest.advanceTimersByTime(699);
      expect(ws.ops('message.send')).toHaveLength(1);
      jest.advanceTimersByTime(1);
      expect(ws.ops('message.send')).toHaveLength(2);
      ws.fail(ws.lastOp('message.send').ref!, 'UNAVAILABLE', 'backend down');
      jest.advanceTimersByTime(1000);
      ws.reply(ws.lastOp('message.send').ref!, { message: msg(1, 'r1', 'u-me') });
      expect((await limited).seq).toBe(1);
      expect(new Set(ws.ops('message.send').map((f) => f.data.clientMsgId)).size).toBe(1);

      const forbidden = client.send('r1', 'not a member');
      ws.fail(ws.lastOp('message.send').ref!, 'FORBIDDEN', 'only members');
      await expect(forbidden).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('fails unsent messages and pending requests when closed', async () => {
      start();
      const sent = client.send('r1', 'never');
      client.close();
      await expect(sent).rejects.toBeInstanceOf(ClientClosedError);
      await expect(client.request('room.list')).rejects.toBeInstanceOf(ClientClosedError);
    });
  });

  describe('auth and heartbeat', () => {
    it('on 4001 token expired asks the app for a fresh token and reconnects', async () => {
      const ws = await connected();
      const next = FakeWebSocket.next();
      ws.drop(4001, 'token expired');
      const again = await next;
      expect(tokens).toEqual(['connect', 'expired']);
      expect(again.token).toBe('token-2');
    });

    it('asks for a fresh token instead of connecting with one that has expired', async () => {
      const given = [jwt(-60_000), jwt(3_600_000)];
      start({ getToken: (reason) => (tokens.push(reason), given.shift()!) });
      client.connect().catch(() => undefined);
      const ws = await FakeWebSocket.next();
      expect(tokens).toEqual(['connect', 'expired']);
      expect(ws.token).not.toBe(null);
    });

    it.each([
      [4001, 'token revoked'],
      [4001, 'unknown user'],
      [4008, 'too many connections (at most 32 per user)'],
    ])('stops for good on %i %s, and tells the app', async (code, reason) => {
      const ws = await connected();
      const closed = client.once('closed');
      ws.drop(code, reason);
      expect(await closed).toEqual({ code, reason });
      expect(client.state).toBe('closed');
      await settled();
      expect(FakeWebSocket.opened).toHaveLength(1);
    });

    it('pings every half heartbeat and gives up on a socket silent for a heartbeat', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const ws = await connected({ heartbeatMs: 1000 });
      jest.advanceTimersByTime(500);
      expect(ws.ops('ping')).toHaveLength(1);
      ws.push({ type: 'pong' });
      jest.advanceTimersByTime(1000);
      expect(ws.ops('ping')).toHaveLength(3);
      expect(FakeWebSocket.opened).toHaveLength(1);
      jest.advanceTimersByTime(1000); // nothing came back since the pong
      expect(ws.closedByClient).toBeDefined();
      jest.advanceTimersByTime(1);
      await settled();
      expect(FakeWebSocket.opened).toHaveLength(2);
    });

    it('refreshes the token with auth.refresh before it expires', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const given = [jwt(10 * 60_000), jwt(20 * 60_000, 1)];
      const ws = await connected({ getToken: (reason) => (tokens.push(reason), given.shift()!), refreshAheadMs: 60_000, heartbeatMs: 3_600_000 });
      jest.advanceTimersByTime(9 * 60_000 - 1000);
      expect(ws.ops('auth.refresh')).toHaveLength(0);
      jest.advanceTimersByTime(1000);
      await settled();
      expect(tokens).toEqual(['connect', 'refresh']);
      const refresh = ws.lastOp('auth.refresh');
      expect(refresh.data.token).toMatch(/\./);
      const refreshed = client.once('refreshed');
      ws.reply(refresh.ref!, { expiresAt: '2030-01-01T00:00:00.000Z' });
      expect(await refreshed).toEqual({ expiresAt: '2030-01-01T00:00:00.000Z' });
    });
  });
});
