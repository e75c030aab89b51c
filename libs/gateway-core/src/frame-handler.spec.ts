import { TokenService, TokenSession } from '@chat/auth';
import { ClientFrame, MAX_FRAME_BYTES, User } from '@chat/protocol';
import { settle } from '../../../test/support/deferred';
import { FakeSocket } from '../../../test/support/fakes';
import { ClientSocket } from './client-socket';
import { ConnectionRateLimiter, ConnectionRates } from './connection-rate-limiter';
import { FrameHandler } from './frame-handler';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { SessionOpener } from './session-opener';
import { UserRateLimiter } from './user-rate-limiter';

interface ForwardCall {
  frame: ClientFrame;
  raw: string;
  user: User;
  connectionId: string;
}

class FakeForwarder {
  readonly calls: ForwardCall[] = [];
  result: Promise<unknown> = Promise.resolve('1-0');
  forward(frame: ClientFrame, raw: string, user: User, connectionId: string): Promise<unknown> {
    this.calls.push({ frame, raw, user, connectionId });
    return this.result;
  }
  forwardInternal = jest.fn(() => Promise.resolve('1-0'));
}

const SECRET = 'frame-handler-unit-test-secret-0123456789';
const alice: User = { id: 'u-alice', username: 'alice' };
const raw = (frame: unknown) => JSON.stringify(frame);
const bytes = (s: string) => Buffer.byteLength(s);

afterEach(() => jest.restoreAllMocks());

describe('FrameHandler', () => {
  const tokens = new TokenService(SECRET, 3600);
  let socket: FakeSocket;
  let forwarder: FakeForwarder;
  let sessions: { open: jest.Mock<Promise<void>, [ClientSocket, TokenSession]>; refresh: jest.Mock<void, [ClientSocket, number]> };
  /** The per-user limits shared through Redis: 0 = allowed, else ms to wait. */
  let userLimits: { take: jest.Mock<number | Promise<number>, [string, boolean]> };
  let handler: FrameHandler;
  let verify: jest.SpyInstance<Promise<User>, [string]>;

  function handle(text: string, size = bytes(text)): void {
    handler.handle(socket, text, size);
  }

  /** Waits for the token checks started so far (jose verifies on the crypto thread pool), then for their reactions. */
  async function verified(): Promise<void> {
    await Promise.allSettled(verify.mock.results.map((r) => r.value as Promise<unknown>));
    await settle();
  }

  function build(rates: ConnectionRates): FrameHandler {
    return new FrameHandler(
      tokens,
      sessions as unknown as SessionOpener,
      forwarder as unknown as Forwarder,
      3,
      new ConnectionRateLimiter(rates),
      userLimits as unknown as UserRateLimiter,
      GatewayMetrics.get(),
    );
  }

  beforeEach(() => {
    socket = new FakeSocket('c1', { ready: false });
    verify = jest.spyOn(tokens, 'verify');
    forwarder = new FakeForwarder();
    sessions = {
      open: jest.fn<Promise<void>, [ClientSocket, TokenSession]>(async () => undefined),
      refresh: jest.fn<void, [ClientSocket, number]>((s, expiresAt) => void (s.getUserData().expiresAt = expiresAt)),
    };
    userLimits = { take: jest.fn<number | Promise<number>, [string, boolean]>(async () => 0) };
    // Generous local buckets: the rate-limit tests set their own.
    handler = build({ frames: { perSecond: 1000, burst: 1000 }, sends: { perSecond: 1000, burst: 1000 } });
  });

  /** The state SessionOpener leaves behind: user set, hello sent, ready. */
  function makeReady(): void {
    socket.data.user = alice;
    socket.data.ready = true;
  }

  describe('size limit', () => {
    it('answers an oversized frame with TOO_LARGE, then closes 1009', () => {
      makeReady();
      handle('{"type":"ping"}', MAX_FRAME_BYTES + 1);
      expect(socket.frames).toEqual([
        { type: 'error', data: { code: 'TOO_LARGE', message: expect.stringContaining(String(MAX_FRAME_BYTES)) } },
      ]);
      expect(socket.ended).toEqual([{ code: 1009, reason: expect.any(String) }]);
      expect(forwarder.calls).toEqual([]);
    });

    it('closes an oversized frame before auth too', () => {
      handle('x', MAX_FRAME_BYTES + 1);
      expect(socket.ended.map((e) => e.code)).toEqual([1009]);
      expect(sessions.open).not.toHaveBeenCalled();
    });

    it('accepts a frame of exactly the limit', () => {
      makeReady();
      handle('{"type":"ping"}', MAX_FRAME_BYTES);
      expect(socket.sent).toEqual(['{"type":"pong"}']);
      expect(socket.ended).toEqual([]);
    });
  });

  describe('before auth', () => {
    it('answers any other op UNAUTHORIZED with its ref and keeps the socket open', () => {
      handle(raw({ type: 'room.list', ref: 'r-1' }));
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'r-1', ok: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } },
      ]);
      expect(socket.ended).toEqual([]);
      expect(socket.data.queued).toBeUndefined();
      expect(forwarder.calls).toEqual([]);
    });

    it('answers a bad frame BAD_REQUEST and keeps the socket open', () => {
      handle('not json');
      expect(socket.frames).toEqual([{ type: 'error', data: { code: 'BAD_REQUEST', message: expect.any(String) } }]);
      handle(raw({ type: 'auth', ref: 'a1', data: {} }));
      expect(socket.frames[1]).toMatchObject({ type: 'reply', ref: 'a1', ok: false, error: { code: 'BAD_REQUEST' } });
      expect(socket.ended).toEqual([]);
      expect(sessions.open).not.toHaveBeenCalled();
    });

    it('closes 4001 on a bad token', async () => {
      handle(raw({ type: 'auth', data: { token: 'not-a-jwt' } }));
      await verified();
      expect(socket.ended).toEqual([{ code: 4001, reason: expect.stringMatching(/^invalid token/) }]);
      expect(sessions.open).not.toHaveBeenCalled();
    });

    it('closes 4001 on a token signed with another secret', async () => {
      const forged = await new TokenService('some-other-secret-0123456789abcdef', 3600).sign(alice);
      handle(raw({ type: 'auth', data: { token: forged } }));
      await verified();
      expect(socket.ended.map((e) => e.code)).toEqual([4001]);
      expect(sessions.open).not.toHaveBeenCalled();
    });

    it('opens the session with the token’s user on a good token', async () => {
      const token = await tokens.sign(alice);
      handle(raw({ type: 'auth', ref: 'a1', data: { token } }));
      await verified();
      expect(sessions.open).toHaveBeenCalledTimes(1);
      expect(sessions.open).toHaveBeenCalledWith(socket, { user: alice, issuedAtMs: expect.any(Number), expiresAt: expect.any(Number) });
      expect(socket.ended).toEqual([]);
    });

    it('checks the token synchronously: the session opens within the same call', async () => {
      const token = await tokens.sign(alice);
      handle(raw({ type: 'auth', data: { token } }));
      expect(sessions.open).toHaveBeenCalledWith(socket, expect.objectContaining({ user: alice }));
    });

    it('rate-limits a bare socket that floods before auth, keeping it open', () => {
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
      handler = build({ frames: { perSecond: 2, burst: 2 }, sends: { perSecond: 100, burst: 100 } });
      for (let i = 1; i <= 4; i++) handle(raw({ type: 'room.list', ref: `l${i}` }));
      expect(socket.frames.map((f) => [f.ref, (f.error as { code: string }).code])).toEqual([
        ['l1', 'UNAUTHORIZED'],
        ['l2', 'UNAUTHORIZED'],
        ['l3', 'RATE_LIMITED'],
        ['l4', 'RATE_LIMITED'],
      ]);
      expect(socket.ended).toEqual([]);
    });

    it('queues frames after auth until drainQueue runs them, in order', async () => {
      const token = await tokens.sign(alice);
      handle(raw({ type: 'auth', data: { token } }));
      const send1 = raw({ type: 'message.send', ref: 's1', data: { roomId: 'r1', text: 'one', clientMsgId: 'm1' } });
      const send2 = raw({ type: 'message.send', ref: 's2', data: { roomId: 'r1', text: 'two', clientMsgId: 'm2' } });
      handle(send1);
      handle(raw({ type: 'ping', ref: 'p1' }));
      handle(send2);
      await verified();
      expect(sessions.open).toHaveBeenCalledTimes(1);
      expect(forwarder.calls).toEqual([]);
      expect(socket.sent).toEqual([]);
      expect(socket.data.queued).toEqual([send1, raw({ type: 'ping', ref: 'p1' }), send2]);

      // What SessionOpener does once the user's rooms are subscribed: ready, then drain.
      makeReady();
      handler.drainQueue(socket);
      expect(socket.data.queued).toBeUndefined();
      await settle(); // forwarding waits for the user rate limit check
      expect(forwarder.calls.map((c) => c.raw)).toEqual([send1, send2]);
      expect(forwarder.calls.map((c) => c.frame.ref)).toEqual(['s1', 's2']);
      expect(socket.sent).toEqual(['{"type":"pong"}', '{"type":"reply","ref":"p1","ok":true,"data":{}}']);
    });

    it('answers RATE_LIMITED with the ref once the queue is full, without closing', async () => {
      const token = await tokens.sign(alice);
      handle(raw({ type: 'auth', data: { token } }));
      handle(raw({ type: 'room.list', ref: 'q1' }));
      handle(raw({ type: 'room.list', ref: 'q2' }));
      handle(raw({ type: 'room.list', ref: 'q3' }));
      handle(raw({ type: 'room.list', ref: 'q4' }));
      handle('garbage');
      expect(socket.data.queued).toHaveLength(3);
      expect(socket.frames).toEqual([
        {
          type: 'reply',
          ref: 'q4',
          ok: false,
          error: { code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: 1000 },
        },
        { type: 'error', data: { code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: 1000 } },
      ]);
      expect(socket.ended).toEqual([]);

      makeReady();
      handler.drainQueue(socket);
      await settle();
      expect(forwarder.calls.map((c) => c.frame.ref)).toEqual(['q1', 'q2', 'q3']);
    });

    // BUG (frame-handler.ts authenticate()): the token is good but opening the session fails
    // (Redis down: user channel SUBSCRIBE or SMEMBERS rejects). The catch closes with 4001,
    // which PROTOCOL.md reserves for "a bad or expired token" — a client would drop a valid
    // token and re-login instead of reconnecting. The query-token path (gateway.ts failOpen)
    // closes the same failure with 1013 "try again later".
    it('a session that fails to open after a good token is not reported as a bad token (closes 1013)', async () => {
      sessions.open.mockRejectedValueOnce(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
      const token = await tokens.sign(alice);
      handle(raw({ type: 'auth', data: { token } }));
      await verified();
      expect(sessions.open).toHaveBeenCalledTimes(1);
      expect(socket.ended.map((e) => e.code)).toEqual([1013]);
    });
  });

  describe('ready socket', () => {
    beforeEach(makeReady);

    it('answers a frame that is not JSON with a BAD_REQUEST error event', () => {
      handle('{"type":');
      expect(socket.frames).toEqual([{ type: 'error', data: { code: 'BAD_REQUEST', message: 'frame is not valid JSON' } }]);
      expect(socket.ended).toEqual([]);
      expect(forwarder.calls).toEqual([]);
    });

    it('answers an unknown type with a BAD_REQUEST reply carrying the ref', () => {
      handle(raw({ type: 'room.explode', ref: 'x1', data: {} }));
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'x1', ok: false, error: { code: 'BAD_REQUEST', message: 'unknown type "room.explode"' } },
      ]);
      expect(forwarder.calls).toEqual([]);
    });

    it('answers bad data BAD_REQUEST with the ref and forwards nothing', () => {
      handle(raw({ type: 'message.send', ref: 'b1', data: { roomId: 'r1' } }));
      expect(socket.frames).toEqual([{ type: 'reply', ref: 'b1', ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('message.send') } }]);
      expect(forwarder.calls).toEqual([]);
    });

    it('never forwards an internal op sent by a client', () => {
      handle(raw({ type: '$catchup', ref: 'i1', data: { roomId: 'r1', after: 0 } }));
      expect(socket.frames).toEqual([{ type: 'reply', ref: 'i1', ok: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } }]);
      expect(forwarder.calls).toEqual([]);
    });

    it('answers ping with pong', () => {
      handle('{"type":"ping"}');
      expect(socket.sent).toEqual(['{"type":"pong"}']);
    });

    it('answers ping with a ref with pong and an ok reply', () => {
      handle(raw({ type: 'ping', ref: 'p7' }));
      expect(socket.sent).toEqual(['{"type":"pong"}', '{"type":"reply","ref":"p7","ok":true,"data":{}}']);
      expect(forwarder.calls).toEqual([]);
    });

    it('answers a second auth BAD_REQUEST and keeps the session', async () => {
      const token = await tokens.sign(alice);
      handle(raw({ type: 'auth', ref: 'a2', data: { token } }));
      await verified();
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'a2', ok: false, error: { code: 'BAD_REQUEST', message: 'already authenticated' } },
      ]);
      expect(sessions.open).not.toHaveBeenCalled();
      expect(socket.ended).toEqual([]);
    });

    it('forwards a valid op with the raw text, the user and the connection', async () => {
      const text = '{"type":"message.send","ref":"s1","data":{"roomId":"r1","text":"héllo  ","clientMsgId":"m1","extra":1}}';
      handle(text);
      await settle();
      expect(userLimits.take).toHaveBeenCalledWith('u-alice', true);
      expect(forwarder.calls).toEqual([
        {
          frame: { type: 'message.send', ref: 's1', data: { roomId: 'r1', text: 'héllo  ', clientMsgId: 'm1' } },
          raw: text,
          user: alice,
          connectionId: 'c1',
        },
      ]);
      expect(socket.sent).toEqual([]);
    });

    it('keeps the order of forwarded frames', async () => {
      const texts = ['a', 'b', 'c'].map((x, i) => raw({ type: 'message.send', ref: x, data: { roomId: 'r1', text: x, clientMsgId: `m${i}` } }));
      for (const t of texts) handle(t);
      await settle();
      expect(forwarder.calls.map((c) => c.raw)).toEqual(texts);
    });

    it('answers RATE_LIMITED with retryAfterMs once the connection’s bucket is empty, and forwards nothing more', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000); // no refill between frames
      handler = build({ frames: { perSecond: 2, burst: 2 }, sends: { perSecond: 100, burst: 100 } });
      handle(raw({ type: 'room.list', ref: 'l1' }));
      handle(raw({ type: 'room.list', ref: 'l2' }));
      handle(raw({ type: 'room.list', ref: 'l3' }));
      handle('{"type":"ping"}'); // answered by the gateway itself, never limited
      await settle();
      expect(forwarder.calls.map((c) => c.frame.ref)).toEqual(['l1', 'l2']);
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'l3', ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: expect.any(Number) } },
        { type: 'pong' },
      ]);
      const retry = (socket.frames[0].error as { retryAfterMs: number }).retryAfterMs;
      expect(retry).toBe(500); // one token at 2 per second
      expect(socket.ended).toEqual([]);
    });

    it('limits sends separately from other frames', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
      handler = build({ frames: { perSecond: 100, burst: 100 }, sends: { perSecond: 1, burst: 1 } });
      handle(raw({ type: 'message.send', ref: 's1', data: { roomId: 'r1', text: 'a', clientMsgId: 'm1' } }));
      handle(raw({ type: 'message.send', ref: 's2', data: { roomId: 'r1', text: 'b', clientMsgId: 'm2' } }));
      handle(raw({ type: 'room.list', ref: 'l1' }));
      await settle();
      expect(forwarder.calls.map((c) => c.frame.ref)).toEqual(['s1', 'l1']);
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 's2', ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: 1000 } },
      ]);
    });

    it('answers RATE_LIMITED with the wait the user limit gives, without forwarding', async () => {
      userLimits.take.mockResolvedValueOnce(1500);
      handle(raw({ type: 'room.list', ref: 'l1' }));
      await settle();
      expect(userLimits.take).toHaveBeenCalledWith('u-alice', false);
      expect(forwarder.calls).toEqual([]);
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'l1', ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: 1500 } },
      ]);
      expect(socket.ended).toEqual([]);
    });

    it('forwards in the same call when the user limit answers at once (no round trip)', () => {
      userLimits.take.mockReturnValueOnce(0);
      handle(raw({ type: 'room.list', ref: 'l1' }));
      expect(forwarder.calls.map((c) => c.frame.ref)).toEqual(['l1']);
    });

    it('answers RATE_LIMITED at once when the user limit is known to be reached', () => {
      userLimits.take.mockReturnValueOnce(700);
      handle(raw({ type: 'room.list', ref: 'l1' }));
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'l1', ok: false, error: { code: 'RATE_LIMITED', message: expect.stringContaining('user'), retryAfterMs: 700 } },
      ]);
      expect(forwarder.calls).toEqual([]);
    });

    it('answers UNAVAILABLE when the user limit cannot be checked', async () => {
      userLimits.take.mockRejectedValueOnce(new Error('Connection is closed.'));
      handle(raw({ type: 'room.list', ref: 'l1' }));
      await settle();
      expect(forwarder.calls).toEqual([]);
      expect(socket.frames).toEqual([{ type: 'reply', ref: 'l1', ok: false, error: { code: 'UNAVAILABLE', message: expect.any(String) } }]);
    });

    it('a send in the room the user is typing in also stops the typing', async () => {
      handle(raw({ type: 'typing.start', data: { roomId: 'r1' } }));
      await settle();
      handle(raw({ type: 'message.send', ref: 's1', data: { roomId: 'r1', text: 'a', clientMsgId: 'm1' } }));
      await settle();
      handle(raw({ type: 'message.send', ref: 's2', data: { roomId: 'r1', text: 'b', clientMsgId: 'm2' } }));
      await settle();
      expect(forwarder.calls.map((c) => [c.frame.type, c.frame.ref])).toEqual([
        ['typing.start', undefined],
        ['message.send', 's1'],
        ['typing.stop', undefined],
        ['message.send', 's2'],
      ]);
      expect(forwarder.calls[2].raw).toBe('{"type":"typing.stop","data":{"roomId":"r1"}}');
    });

    it('answers UNAVAILABLE with the ref when the stream append fails', async () => {
      forwarder.result = Promise.reject(new Error('connection is closed'));
      handle(raw({ type: 'room.list', ref: 'l1' }));
      await settle();
      expect(socket.frames).toEqual([
        { type: 'reply', ref: 'l1', ok: false, error: { code: 'UNAVAILABLE', message: expect.any(String) } },
      ]);
      expect(socket.ended).toEqual([]);
    });

    it('answers UNAVAILABLE as an error event when the failed op had no ref', async () => {
      forwarder.result = Promise.reject(new Error('connection is closed'));
      handle(raw({ type: 'room.list' }));
      await settle();
      expect(socket.frames).toEqual([{ type: 'error', data: { code: 'UNAVAILABLE', message: expect.any(String) } }]);
    });

    it('sends nothing to a socket that closed before the append failed', async () => {
      forwarder.result = Promise.reject(new Error('connection is closed'));
      handle(raw({ type: 'room.list', ref: 'l1' }));
      socket.data.closed = true;
      await settle();
      expect(socket.sent).toEqual([]);
    });
  });

  describe('auth.refresh', () => {
    const later = new TokenService(SECRET, 7200);

    beforeEach(() => {
      makeReady();
      socket.data.expiresAt = Math.floor(Date.now() / 1000) + 3600;
    });

    it('takes a newer token of the same user: replies its expiry and never forwards it', async () => {
      const token = await later.sign(alice);
      handle(raw({ type: 'auth.refresh', ref: 'x1', data: { token } }));
      const expiresAt = later.verifySession(token).expiresAt;
      expect(sessions.refresh).toHaveBeenCalledWith(socket, expiresAt);
      expect(socket.frames).toEqual([{ type: 'reply', ref: 'x1', ok: true, data: { expiresAt: new Date(expiresAt * 1000).toISOString() } }]);
      expect(forwarder.calls).toEqual([]);
      expect(userLimits.take).not.toHaveBeenCalled();
    });

    it('refuses another user’s token with BAD_REQUEST and keeps the socket', async () => {
      const token = await later.sign({ id: 'u-bob', username: 'bob' });
      handle(raw({ type: 'auth.refresh', ref: 'x1', data: { token } }));
      expect(socket.frames).toEqual([{ type: 'reply', ref: 'x1', ok: false, error: { code: 'BAD_REQUEST', message: 'the token is for another user' } }]);
      expect(sessions.refresh).not.toHaveBeenCalled();
      expect(socket.ended).toEqual([]);
    });

    it('refuses a bad token with UNAUTHORIZED and keeps the socket', () => {
      handle(raw({ type: 'auth.refresh', ref: 'x1', data: { token: 'not-a-jwt' } }));
      expect(socket.frames).toEqual([{ type: 'reply', ref: 'x1', ok: false, error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/^invalid token/) } }]);
      expect(sessions.refresh).not.toHaveBeenCalled();
      expect(socket.ended).toEqual([]);
    });

    it('refuses a token that expires before the current one', async () => {
      const sooner = await new TokenService(SECRET, 60).sign(alice);
      handle(raw({ type: 'auth.refresh', ref: 'x1', data: { token: sooner } }));
      expect(socket.frames[0]).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(sessions.refresh).not.toHaveBeenCalled();
    });
  });
});
