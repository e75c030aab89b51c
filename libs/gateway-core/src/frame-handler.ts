import { TokenService, TokenSession } from '@chat/auth';
import {
  ChatError,
  ClientFrame,
  CloseCode,
  ErrorBody,
  ErrorCode,
  failureFrame,
  MAX_FRAME_BYTES,
  Op,
  parseClientFrame,
  PONG_FRAME,
  replyOk,
} from '@chat/protocol';
import { ClientSocket } from './client-socket';
import { GatewayCloseCode } from './close-codes';
import { ConnectionRateLimiter } from './connection-rate-limiter';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { SessionOpener } from './session-opener';
import { UserRateLimiter } from './user-rate-limiter';

/** RFC 6455 1013: the backend did not answer; reconnect later. */
export const TRY_AGAIN_LATER = GatewayCloseCode.TRY_AGAIN_LATER;

/**
 * Who answers each op: the gateway itself, or the services behind the streams. Typed over
 * every op of libs/protocol, so a new op fails the build until it is placed here.
 */
const HANDLED_BY = {
  auth: 'gateway',
  'auth.refresh': 'gateway',
  ping: 'gateway',
  'room.create': 'services',
  'room.list': 'services',
  'room.join': 'services',
  'room.leave': 'services',
  'room.members': 'services',
  'room.invite': 'services',
  'dm.open': 'services',
  'user.lookup': 'services',
  'room.kick': 'services',
  'room.ban': 'services',
  'room.unban': 'services',
  'room.bans': 'services',
  'room.mute': 'services',
  'room.unmute': 'services',
  'room.set_role': 'services',
  'message.send': 'services',
  'message.edit': 'services',
  'message.delete': 'services',
  'message.history': 'services',
  'reaction.add': 'services',
  'reaction.remove': 'services',
  'read.mark': 'services',
  'notify.set': 'services',
  'typing.start': 'services',
  'typing.stop': 'services',
  'presence.set': 'services',
  resume: 'services',
  search: 'services',
} as const satisfies Record<Op, 'gateway' | 'services'>;

type GatewayOp = { [O in Op]: (typeof HANDLED_BY)[O] extends 'gateway' ? O : never }[Op];
type GatewayFrame = Extract<ClientFrame, { type: GatewayOp }>;
type ServiceFrame = Exclude<ClientFrame, GatewayFrame>;

function isGatewayFrame(frame: ClientFrame): frame is GatewayFrame {
  return HANDLED_BY[frame.type] === 'gateway';
}

/**
 * Every frame a client sends lands here. The gateway answers what it can alone (size,
 * shape, auth, token refresh, ping, rate limits) and forwards every other op to its stream.
 * A bad frame gets BAD_REQUEST and the socket stays open; only an oversized frame or a bad
 * token closes it. Rate limits: a local token bucket per connection first (no I/O; it also
 * covers a bare socket before auth), then the user's limits shared by all gateways
 * (UserRateLimiter: counted locally, synced in batches); RATE_LIMITED carries retryAfterMs
 * and never closes.
 */
export class FrameHandler {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionOpener,
    private readonly forwarder: Forwarder,
    private readonly maxQueued: number,
    private readonly connectionLimits: ConnectionRateLimiter,
    private readonly userLimits: Pick<UserRateLimiter, 'take'>,
    private readonly metrics: GatewayMetrics,
  ) {}

  handle(socket: ClientSocket, raw: string, bytes: number): void {
    const data = socket.getUserData();
    if (bytes > MAX_FRAME_BYTES) {
      this.metrics.framesIn.inc({ outcome: 'too_large' });
      socket.send(failureFrame(undefined, { code: ErrorCode.TOO_LARGE, message: `frame is ${bytes} bytes; the limit is ${MAX_FRAME_BYTES}` }));
      socket.end(CloseCode.TOO_LARGE, 'frame too large');
      return;
    }
    if (!data.ready) {
      if (data.queued) return this.queue(socket, raw);
      return this.authenticate(socket, raw);
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.fail(socket, parsed.ref, parsed.error, 'bad_request');
    const { frame } = parsed;
    if (isGatewayFrame(frame)) return this.answer(socket, frame);
    this.forwardLimited(socket, frame, raw);
  }

  /** The ops the gateway answers itself: the switch must name each of them (`never` below). */
  private answer(socket: ClientSocket, frame: GatewayFrame): void {
    switch (frame.type) {
      case 'ping':
        socket.send(PONG_FRAME);
        if (frame.ref !== undefined) socket.send(replyOk(frame.ref));
        this.metrics.framesIn.inc({ outcome: 'ping' });
        return;
      case 'auth':
        return this.fail(socket, frame.ref, { code: ErrorCode.BAD_REQUEST, message: 'already authenticated' }, 'bad_request');
      case 'auth.refresh':
        return this.refresh(socket, frame.ref, frame.data.token);
      default: {
        const unhandled: never = frame;
        throw new Error(`no gateway handler for ${(unhandled as ClientFrame).type}`);
      }
    }
  }

  /**
   * `auth.refresh`: a newer token of the same user keeps the socket open past the current
   * token's expiry. A bad token, another user's, or one expiring sooner is refused; the
   * socket stays open on its current token either way.
   */
  private refresh(socket: ClientSocket, ref: string | undefined, token: string): void {
    const data = socket.getUserData();
    const wait = this.connectionLimits.take(data, false, Date.now());
    if (wait > 0) return this.rateLimited(socket, ref, wait, 'connection');
    let session: TokenSession;
    try {
      session = this.tokens.verifySession(token);
    } catch (err) {
      const message = err instanceof ChatError ? err.message : 'invalid token';
      this.metrics.authFailures.inc({ reason: 'refresh_refused' });
      return this.fail(socket, ref, { code: ErrorCode.UNAUTHORIZED, message }, 'unauthorized');
    }
    if (session.user.id !== data.user!.id) {
      return this.fail(socket, ref, { code: ErrorCode.BAD_REQUEST, message: 'the token is for another user' }, 'bad_request');
    }
    if (session.expiresAt < (data.expiresAt ?? 0)) {
      return this.fail(socket, ref, { code: ErrorCode.BAD_REQUEST, message: 'the token expires before the current one' }, 'bad_request');
    }
    this.sessions.refresh(socket, session.expiresAt);
    this.metrics.framesIn.inc({ outcome: 'refreshed' });
    if (ref !== undefined) socket.send(replyOk(ref, { expiresAt: new Date(session.expiresAt * 1000).toISOString() }));
  }

  private forwardLimited(socket: ClientSocket, frame: ServiceFrame, raw: string): void {
    const data = socket.getUserData();
    const isSend = frame.type === 'message.send';
    const wait = this.connectionLimits.take(data, isSend, Date.now());
    if (wait > 0) return this.rateLimited(socket, frame.ref, wait, 'connection');
    let userWait: number | Promise<number>;
    try {
      userWait = this.userLimits.take(data.user!.id, isSend);
    } catch {
      return this.unavailable(socket, frame.ref);
    }
    if (typeof userWait === 'number') return this.forwardAllowed(socket, frame, raw, userWait);
    userWait.then(
      (w) => this.forwardAllowed(socket, frame, raw, w),
      () => this.unavailable(socket, frame.ref),
    );
  }

  private forwardAllowed(socket: ClientSocket, frame: ServiceFrame, raw: string, userWait: number): void {
    if (userWait > 0) return this.rateLimited(socket, frame.ref, userWait, 'user');
    const data = socket.getUserData();
    this.metrics.framesIn.inc({ outcome: 'forwarded' });
    this.forwarder.forward(frame, raw, data.user!, data.id).then(
      () => this.trackTyping(socket, frame),
      () => this.unavailable(socket, frame.ref),
    );
  }

  private unavailable(socket: ClientSocket, ref: string | undefined): void {
    this.fail(socket, ref, { code: ErrorCode.UNAVAILABLE, message: 'backend unavailable, retry later' }, 'unavailable');
  }

  /** Sending in a room ends the sender's typing there (PROTOCOL.md), without a round trip. */
  private trackTyping(socket: ClientSocket, frame: ClientFrame): void {
    const data = socket.getUserData();
    if (frame.type === 'typing.start') data.typingIn = frame.data.roomId;
    else if (frame.type === 'typing.stop' && data.typingIn === frame.data.roomId) data.typingIn = undefined;
    else if (frame.type === 'message.send' && data.typingIn === frame.data.roomId) {
      data.typingIn = undefined;
      const stop: ClientFrame = { type: 'typing.stop', data: { roomId: frame.data.roomId } };
      void this.forwarder.forward(stop, JSON.stringify(stop), data.user!, data.id).catch(() => undefined);
    }
  }

  private rateLimited(socket: ClientSocket, ref: string | undefined, retryAfterMs: number, scope: string): void {
    const error = { code: ErrorCode.RATE_LIMITED, message: `too many requests (${scope} limit)`, retryAfterMs };
    this.fail(socket, ref, error, 'rate_limited');
  }

  /**
   * A bare connection's first frame must be `auth`; anything else is answered UNAUTHORIZED.
   * The connection's frame bucket applies here too, so a bare socket cannot flood.
   */
  private authenticate(socket: ClientSocket, raw: string): void {
    const data = socket.getUserData();
    const wait = this.connectionLimits.take(data, false, Date.now());
    const parsed = parseClientFrame(raw);
    const ref = parsed.ok ? parsed.frame.ref : parsed.ref;
    if (wait > 0) return this.rateLimited(socket, ref, wait, 'connection');
    if (!parsed.ok) return this.fail(socket, parsed.ref, parsed.error, 'bad_request');
    if (parsed.frame.type !== 'auth') {
      const error = { code: ErrorCode.UNAUTHORIZED, message: 'send {"type":"auth","data":{"token":"…"}} first' };
      this.metrics.authFailures.inc({ reason: 'auth_required' });
      return this.fail(socket, parsed.frame.ref, error, 'unauthorized');
    }
    data.queued = []; // frames arriving while the session opens wait for hello
    let session: TokenSession;
    try {
      session = this.tokens.verifySession(parsed.frame.data.token);
    } catch (err) {
      const reason = err instanceof ChatError ? err.message : 'authentication failed';
      this.metrics.authFailures.inc({ reason: 'bad_token' });
      return socket.end(CloseCode.UNAUTHORIZED, reason.slice(0, 120));
    }
    // A good token whose session cannot open is a backend problem, not a bad token.
    this.sessions.open(socket, session).catch(() => !data.closed && socket.end(TRY_AGAIN_LATER, 'backend unavailable, reconnect later'));
  }

  private queue(socket: ClientSocket, raw: string): void {
    const queued = socket.getUserData().queued!;
    if (queued.length >= this.maxQueued) {
      const ref = parseClientFrame(raw);
      const error = { code: ErrorCode.RATE_LIMITED, message: 'too many frames before hello', retryAfterMs: 1000 };
      return this.fail(socket, ref.ok ? ref.frame.ref : ref.ref, error, 'rate_limited');
    }
    queued.push(raw);
  }

  /** Runs the frames that arrived before hello, in order. */
  drainQueue(socket: ClientSocket): void {
    const data = socket.getUserData();
    const queued = data.queued ?? [];
    data.queued = undefined;
    for (const raw of queued) this.handle(socket, raw, Buffer.byteLength(raw));
  }

  private fail(socket: ClientSocket, ref: string | undefined, error: ErrorBody, outcome: string): void {
    this.metrics.framesIn.inc({ outcome });
    if (!socket.getUserData().closed) socket.send(failureFrame(ref, error));
  }
}
