import type { z } from 'zod';
import { Backoff, BackoffOptions } from './backoff';
import { newClientMsgId } from './client-msg-id';
import { Emitter } from './emitter';
import { ChatRequestError, ClientClosedError, ConnectionLostError, RequestTimeoutError } from './errors';
import { Outbox, PendingSend } from './outbox';
import { PendingRequests, ReplyFrame, replyError } from './pending-requests';
import { RoomSync } from './room-sync';
import { tokenExpiresAt } from './token-expiry';
import { OPEN, resolveWebSocket, WebSocketConstructor, WebSocketLike } from './web-socket';
import { CloseCode, ErrorCode, EventDataMap, isOp, Message, Op, OpData, ReplyDataOf } from '../../protocol/src/wire';

/** What an op accepts before the protocol's defaults and normalisation apply. */
export type OpInput<O extends Op> = z.input<(typeof OpData)[O]>;

/** Why the client asks the app for a token: to connect, to refresh before expiry, or because the last one expired. */
export type TokenReason = 'connect' | 'refresh' | 'expired';

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface ChatClientOptions {
  /** The gateway's WebSocket URL, or a function of the connection attempt (to spread over several gateways). */
  url: string | ((attempt: number) => string | Promise<string>);
  /** A valid token of the user; called for every connection and before the token expires. */
  getToken: (reason: TokenReason) => string | Promise<string>;
  /** The WebSocket implementation (default: `globalThis.WebSocket`; on Node 20 pass the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /** How long a request waits for its reply, including the wait for a connection (default 15 s). */
  requestTimeoutMs?: number;
  /** Reconnect delays (default: full jitter, 250 ms doubling up to 30 s). */
  backoff?: BackoffOptions;
  /** Refresh the token this long before it expires (default 60 s). */
  refreshAheadMs?: number;
  /** Ping period basis instead of the server's `heartbeatMs`; the socket is presumed dead after this long without a frame. */
  heartbeatMs?: number;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

export interface Session {
  userId: string;
  username: string;
  connectionId: string;
  /** True from the second session of this client on. */
  reconnected: boolean;
}

/** Events of the client: the server's (but `message.created`), plus its own. */
export interface ClientEvents extends Omit<EventDataMap, 'message.created' | 'hello' | 'pong'> {
  /** Each message of each room once, in seq order per room — live, resumed or paged back. */
  message: Message;
  /** A session started (after every reconnect too); resuming the rooms is under way. */
  ready: Session;
  /** The connection dropped; the next attempt starts in `delayMs`. */
  reconnecting: { attempt: number; delayMs: number; code: number; reason: string };
  /** The client stopped for good: closed by the app, or refused by the server (revoked token, too many connections). */
  closed: { code: number; reason: string };
  state: ConnectionState;
  /** The client cannot follow this room any more (no longer a member). */
  'room.lost': { roomId: string };
  /** The socket's token was replaced (`auth.refresh`) before it expired. */
  refreshed: { expiresAt: string };
  /** Something went wrong that the client worked around (a failed token refresh, an unfillable gap). */
  warning: { message: string; cause?: unknown };
}

const NORMAL_CLOSURE = 1000;
/** Our own code for a socket given up on (no frame for too long). */
const HEARTBEAT_TIMEOUT = 4000;
/** 4008: too many sockets for this user; reconnecting at once would only take another device's place. */
const TOO_MANY_CONNECTIONS = 4008;
const RETRY_SEND_AFTER_MS = 1000;

/**
 * A chat connection that stays up: one socket at a time, reconnected with backoff after
 * network loss and 1001/1012/1013 closes, rooms resumed from the last seq the app saw (paging
 * back when the resume was truncated), messages handed to the app once each, in order; sends
 * queued while disconnected and retried with their `clientMsgId`; heartbeats and token refresh.
 */
export class ChatClient extends Emitter<ClientEvents> {
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly requestTimeoutMs: number;
  private readonly refreshAheadMs: number;
  private readonly backoff: Backoff;
  private readonly requests = new PendingRequests();
  private readonly outbox = new Outbox();
  private readonly rooms: RoomSync;
  private readonly readyWaiters = new Set<{ resolve: () => void; reject: (error: Error) => void }>();
  private ws?: WebSocketLike;
  private current: ConnectionState = 'idle';
  private session?: Session;
  private sessions = 0;
  private attempts = 0;
  private sendRefs = 0;
  private tokenExpired = false;
  private lastFrameAt = 0;
  private heartbeat?: ReturnType<typeof setInterval>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private reconnectTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly options: ChatClientOptions) {
    super();
    this.WebSocketImpl = resolveWebSocket(options.WebSocket);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.refreshAheadMs = options.refreshAheadMs ?? 60_000;
    this.backoff = new Backoff(options.backoff, options.random);
    this.rooms = new RoomSync({
      request: (op, data) => this.rawRequest(op, data, this.requestTimeoutMs),
      deliver: (message) => this.emit('message', message),
      lost: (roomId) => this.emit('room.lost', { roomId }),
      warn: (message, cause) => this.emit('warning', { message, cause }),
      restart: (reason, cause) => {
        this.emit('warning', { message: `${reason} (${errorText(cause)}): reconnecting`, cause });
        this.detach();
        this.retry(HEARTBEAT_TIMEOUT, reason);
      },
    });
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The current (or last) session: who we are. */
  get me(): Session | undefined {
    return this.session;
  }

  /** Sends not acknowledged yet. */
  get unsent(): number {
    return this.outbox.size;
  }

  /** Starts connecting; resolves with the first session (it keeps retrying until then, or until closed for good). */
  connect(): Promise<Session> {
    if (this.current === 'closed') return Promise.reject(new ClientClosedError('closed'));
    const first = this.untilReady(Number.POSITIVE_INFINITY).then(() => this.session!);
    if (this.current === 'idle') void this.open();
    return first;
  }

  /** Closes for good: pending requests and unsent messages fail with ClientClosedError. */
  close(): void {
    this.stop(NORMAL_CLOSURE, 'closed by the client');
  }

  /**
   * One op, answered by its reply's data; a refused op rejects with ChatRequestError (its
   * `code`, and `retryAfterMs` with RATE_LIMITED). Data is checked against the protocol first:
   * bad input rejects with BAD_REQUEST without reaching the server. `message.send` goes
   * through the outbox like `send()`.
   */
  async request<O extends Op>(op: O, ...[data, { timeoutMs = this.requestTimeoutMs } = {}]: RequestArgs<O>): Promise<ReplyDataOf<O>> {
    const parsed = validate(op, data);
    if (op === 'message.send') return { message: await this.enqueue(parsed as SendInput) } as ReplyDataOf<O>;
    const deadline = Date.now() + timeoutMs;
    await this.untilReady(timeoutMs);
    const roomId = (parsed as { roomId?: string } | undefined)?.roomId;
    this.rooms.sending(op, roomId);
    try {
      const reply = (await this.rawRequest(op, parsed, Math.max(1, deadline - Date.now()))) as ReplyDataOf<O>;
      this.rooms.answered(op, roomId, reply);
      return reply;
    } catch (err) {
      this.rooms.refused(op, roomId);
      throw err;
    }
  }

  /**
   * Sends a message: resolves with it once the server committed it. Made while disconnected,
   * it waits in the outbox; every attempt carries the same `clientMsgId`, so it is created once.
   * `attachments`: ids of the sender's uploads (`POST /api/uploads`), at most 10.
   */
  send(
    roomId: string,
    text: string,
    { replyTo, clientMsgId = newClientMsgId(), attachments }: { replyTo?: string; clientMsgId?: string; attachments?: string[] } = {},
  ): Promise<Message> {
    try {
      const data = { roomId, text, replyTo, clientMsgId, ...(attachments?.length ? { attachments } : {}) };
      return this.enqueue(validate('message.send', data) as SendInput);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  // ---- connection lifecycle

  private setState(state: ConnectionState): void {
    if (this.current === state) return;
    this.current = state;
    this.emit('state', state);
  }

  private async open(): Promise<void> {
    this.setState(this.sessions === 0 ? 'connecting' : 'reconnecting');
    const attempt = this.attempts++;
    let ws: WebSocketLike;
    try {
      const token = await this.freshToken();
      const base = typeof this.options.url === 'string' ? this.options.url : await this.options.url(attempt);
      if (this.current === 'closed') return;
      ws = new this.WebSocketImpl(`${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`);
      this.scheduleRefresh(token);
    } catch (err) {
      this.emit('warning', { message: `could not open a connection: ${errorText(err)}`, cause: err });
      return this.retry(0, errorText(err));
    }
    this.ws = ws;
    ws.onmessage = (event) => this.ws === ws && this.onFrame(String(event.data));
    ws.onclose = (event) => this.ws === ws && this.onClose(event.code, event.reason);
    ws.onerror = () => undefined; // a close event follows, with the code
  }

  /** The token for the next socket: the app's current one, or a new one when it has expired. */
  private async freshToken(): Promise<string> {
    const token = await this.options.getToken(this.tokenExpired ? 'expired' : 'connect');
    const expiresAt = tokenExpiresAt(token);
    this.tokenExpired = false;
    if (expiresAt !== undefined && expiresAt <= Date.now()) return this.options.getToken('expired');
    return token;
  }

  private onClose(code: number, reason: string): void {
    this.detach();
    if (code === CloseCode.UNAUTHORIZED && !/expired/i.test(reason)) return this.stop(code, reason);
    if (code === TOO_MANY_CONNECTIONS) return this.stop(code, reason);
    this.tokenExpired = code === CloseCode.UNAUTHORIZED;
    this.retry(code, reason);
  }

  private retry(code: number, reason: string): void {
    if (this.current === 'closed') return;
    this.setState('reconnecting');
    const delayMs = this.backoff.next();
    this.emit('reconnecting', { attempt: this.backoff.attempts, delayMs, code, reason });
    this.reconnectTimer = setTimeout(() => void this.open(), delayMs);
  }

  /** Forgets the socket (closing it with `code` if still open): everything on the wire is lost with it. */
  private detach(code = HEARTBEAT_TIMEOUT, reason = 'given up'): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onopen = null;
      if (ws.readyState <= OPEN) {
        try {
          ws.close(code, reason);
        } catch {
          // already closing
        }
      }
    }
    clearInterval(this.heartbeat);
    clearTimeout(this.refreshTimer);
    this.requests.failAll((op) => new ConnectionLostError(op));
    this.outbox.offTheWire();
    this.rooms.reset();
  }

  private stop(code: number, reason: string): void {
    if (this.current === 'closed') return;
    clearTimeout(this.reconnectTimer);
    const error = new ClientClosedError(reason);
    this.requests.failAll(() => error);
    this.detach(NORMAL_CLOSURE, reason.slice(0, 100));
    this.setState('closed');
    this.outbox.rejectAll(error);
    for (const waiter of [...this.readyWaiters]) waiter.reject(error);
    this.emit('closed', { code, reason });
  }

  /** Resolves once a session is up; rejects after `timeoutMs` or when the client closes. */
  private untilReady(timeoutMs: number): Promise<void> {
    if (this.current === 'ready') return Promise.resolve();
    if (this.current === 'closed') return Promise.reject(new ClientClosedError('closed'));
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => settle(new RequestTimeoutError('a connection', timeoutMs)), timeoutMs) : undefined;
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.readyWaiters.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      const waiter = { resolve: () => settle(), reject: settle };
      this.readyWaiters.add(waiter);
    });
  }

  // ---- frames

  private transmit(frame: { type: string; ref?: string; data?: unknown }): void {
    this.ws!.send(JSON.stringify(frame));
  }

  private rawRequest(op: string, data: unknown, timeoutMs: number): Promise<unknown> {
    if (!this.ws || this.ws.readyState !== OPEN) return Promise.reject(new ConnectionLostError(op));
    const { ref, reply } = this.requests.open(op, timeoutMs);
    this.transmit({ type: op, ref, data });
    return reply;
  }

  private onFrame(text: string): void {
    this.lastFrameAt = Date.now();
    let frame: { type?: string; ref?: string; data?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return this.emit('warning', { message: 'the server sent a frame that is not JSON' });
    }
    if (frame.type === 'reply') return this.onReply(frame as ReplyFrame);
    this.onEvent(frame as { type: keyof EventDataMap; data: never });
  }

  private onReply(frame: ReplyFrame): void {
    const send = this.outbox.byRef(frame.ref);
    if (send) this.onSendReply(send, frame);
    else this.requests.settle(frame);
  }

  private onEvent({ type, data }: { type: keyof EventDataMap; data: never }): void {
    switch (type) {
      case 'hello':
        return this.onHello(data);
      case 'pong':
        return;
      case 'message.created':
        return this.rooms.received(data);
      case 'dm.opened':
        this.rooms.follow((data as EventDataMap['dm.opened']).room);
        break;
      case 'room.member_joined': {
        const joined = data as EventDataMap['room.member_joined'];
        if (joined.room && joined.user.id === this.session?.userId) this.rooms.follow(joined.room);
        break;
      }
      case 'room.member_left': {
        const left = data as EventDataMap['room.member_left'];
        if (left.userId === this.session?.userId) this.rooms.forget(left.roomId);
        break;
      }
    }
    this.emit(type as keyof ClientEvents, data);
  }

  private onHello(hello: EventDataMap['hello']): void {
    this.session = { userId: hello.userId, username: hello.username, connectionId: hello.connectionId, reconnected: this.sessions++ > 0 };
    this.backoff.reset();
    this.startHeartbeat(this.options.heartbeatMs ?? hello.heartbeatMs);
    this.rooms.resume();
    this.setState('ready');
    this.emit('ready', this.session);
    for (const waiter of [...this.readyWaiters]) waiter.resolve();
    this.flushOutbox();
  }

  // ---- sends

  private enqueue(data: SendInput): Promise<Message> {
    if (this.current === 'closed') return Promise.reject(new ClientClosedError('closed'));
    return new Promise((resolve, reject) => {
      this.outbox.add({ data, resolve, reject });
      this.flushOutbox();
    });
  }

  private flushOutbox(): void {
    if (this.current !== 'ready' || !this.ws || this.ws.readyState !== OPEN) return;
    for (const send of this.outbox.ready()) {
      send.ref = `s${(++this.sendRefs).toString(36)}`;
      this.transmit({ type: 'message.send', ref: send.ref, data: send.data });
    }
  }

  private onSendReply(send: PendingSend, frame: ReplyFrame): void {
    send.ref = undefined;
    if (frame.ok) {
      this.outbox.remove(send);
      return send.resolve((frame.data as ReplyDataOf<'message.send'>).message);
    }
    const error = replyError(frame);
    if (error.code === ErrorCode.RATE_LIMITED || error.code === ErrorCode.UNAVAILABLE) {
      send.retryTimer = setTimeout(() => {
        send.retryTimer = undefined;
        this.flushOutbox();
      }, error.retryAfterMs ?? RETRY_SEND_AFTER_MS);
      return;
    }
    this.outbox.remove(send);
    send.reject(error);
  }

  // ---- heartbeat and token refresh

  private startHeartbeat(heartbeatMs: number): void {
    clearInterval(this.heartbeat);
    this.lastFrameAt = Date.now();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastFrameAt > heartbeatMs) {
        this.detach();
        return this.retry(HEARTBEAT_TIMEOUT, `no frame for ${heartbeatMs} ms`);
      }
      if (this.ws?.readyState === OPEN) this.transmit({ type: 'ping' });
    }, Math.max(1, Math.floor(heartbeatMs / 2)));
  }

  /** `auth.refresh` ahead of the token's expiry, so the socket is never closed 4001 for it. */
  private scheduleRefresh(token: string): void {
    clearTimeout(this.refreshTimer);
    const expiresAt = tokenExpiresAt(token);
    if (expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    const delay = Math.min(2 ** 31 - 1, Math.max(0, left > 2 * this.refreshAheadMs ? left - this.refreshAheadMs : left / 2));
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  private async refresh(): Promise<void> {
    const ws = this.ws;
    try {
      const token = await this.options.getToken('refresh');
      if (this.ws !== ws || !ws) return;
      const { expiresAt } = (await this.rawRequest('auth.refresh', { token }, this.requestTimeoutMs)) as ReplyDataOf<'auth.refresh'>;
      this.scheduleRefresh(token);
      this.emit('refreshed', { expiresAt });
    } catch (err) {
      if (this.ws === ws) this.emit('warning', { message: `token refresh failed: ${errorText(err)}`, cause: err });
    }
  }
}

type SendInput = OpInput<'message.send'>;

/** `request(op)` for ops whose data is optional, `request(op, data)` otherwise; options last. */
type RequestArgs<O extends Op> = undefined extends OpInput<O>
  ? [data?: OpInput<O>, options?: { timeoutMs?: number }]
  : [data: OpInput<O>, options?: { timeoutMs?: number }];

/** Checks an op's data against the protocol: bad input is a BAD_REQUEST here, with what is wrong. */
function validate(op: Op, data: unknown): unknown {
  if (!isOp(op)) throw new ChatRequestError(ErrorCode.BAD_REQUEST, `unknown op "${op}"`);
  const result = (OpData[op] as z.ZodType).safeParse(data);
  if (result.success) return result.data;
  const what = result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  throw new ChatRequestError(ErrorCode.BAD_REQUEST, `bad data for ${op}: ${what}`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
