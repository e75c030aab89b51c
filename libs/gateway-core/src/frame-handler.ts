import { TokenService } from '@chat/auth';
import {
  ChatError,
  ClientFrame,
  CloseCode,
  ErrorBody,
  ErrorCode,
  failureFrame,
  MAX_FRAME_BYTES,
  parseClientFrame,
  PONG_FRAME,
  replyOk,
  User,
} from '@chat/protocol';
import { ClientSocket } from './client-socket';
import { ConnectionRateLimiter } from './connection-rate-limiter';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { SessionOpener } from './session-opener';
import { UserRateLimiter } from './user-rate-limiter';

/** RFC 6455 1013: the backend did not answer; reconnect later. */
export const TRY_AGAIN_LATER = 1013;

/**
 * Every frame a client sends lands here. The gateway answers what it can alone (size,
 * shape, auth, ping, rate limits) and forwards every other op to its stream. A bad frame gets
 * BAD_REQUEST and the socket stays open; only an oversized frame or a bad token closes it.
 * Rate limits: a local token bucket per connection first (no I/O), then the user's limits
 * shared by all gateways in Redis; RATE_LIMITED carries retryAfterMs and never closes.
 */
export class FrameHandler {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionOpener,
    private readonly forwarder: Forwarder,
    private readonly maxQueued: number,
    private readonly connectionLimits: ConnectionRateLimiter,
    private readonly userLimits: UserRateLimiter,
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
    switch (frame.type) {
      case 'ping':
        socket.send(PONG_FRAME);
        if (frame.ref !== undefined) socket.send(replyOk(frame.ref));
        this.metrics.framesIn.inc({ outcome: 'ping' });
        return;
      case 'auth':
        return this.fail(socket, frame.ref, { code: ErrorCode.BAD_REQUEST, message: 'already authenticated' }, 'bad_request');
      default:
        this.forwardLimited(socket, frame, raw);
    }
  }

  private forwardLimited(socket: ClientSocket, frame: ClientFrame, raw: string): void {
    const data = socket.getUserData();
    const user = data.user!;
    const isSend = frame.type === 'message.send';
    const wait = this.connectionLimits.take(data, isSend, Date.now());
    if (wait > 0) return this.rateLimited(socket, frame.ref, wait, 'connection');
    this.userLimits
      .take(user.id, isSend)
      .then(async (userWait) => {
        if (userWait > 0) return this.rateLimited(socket, frame.ref, userWait, 'user');
        this.metrics.framesIn.inc({ outcome: 'forwarded' });
        await this.forwarder.forward(frame, raw, user, data.id);
        this.trackTyping(socket, frame);
      })
      .catch(() =>
        this.fail(socket, frame.ref, { code: ErrorCode.UNAVAILABLE, message: 'backend unavailable, retry later' }, 'unavailable'),
      );
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

  /** A bare connection's first frame must be `auth`; anything else is answered UNAUTHORIZED. */
  private authenticate(socket: ClientSocket, raw: string): void {
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.fail(socket, parsed.ref, parsed.error, 'bad_request');
    if (parsed.frame.type !== 'auth') {
      const error = { code: ErrorCode.UNAUTHORIZED, message: 'send {"type":"auth","data":{"token":"…"}} first' };
      return this.fail(socket, parsed.frame.ref, error, 'unauthorized');
    }
    const data = socket.getUserData();
    data.queued = []; // frames arriving while the session opens wait for hello
    let user: User;
    try {
      user = this.tokens.verifySync(parsed.frame.data.token);
    } catch (err) {
      const reason = err instanceof ChatError ? err.message : 'authentication failed';
      return socket.end(CloseCode.UNAUTHORIZED, reason.slice(0, 120));
    }
    // A good token whose session cannot open is a backend problem, not a bad token.
    this.sessions.open(socket, user).catch(() => !data.closed && socket.end(TRY_AGAIN_LATER, 'backend unavailable, reconnect later'));
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
