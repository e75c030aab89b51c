import type { WebSocketLike } from '@chat/client';

type Frame = { type: string; ref?: string; data?: any };

/**
 * A WebSocket stand-in for SDK unit tests: the test plays the server. Every socket the client
 * opens is kept in `FakeWebSocket.opened`; the test opens it, sends it frames and closes it.
 */
export class FakeWebSocket implements WebSocketLike {
  static opened: FakeWebSocket[] = [];
  readyState = 0;
  readonly sent: Frame[] = [];
  closedByClient?: { code?: number; reason?: string };
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  private static waiting: ((ws: FakeWebSocket) => void)[] = [];

  constructor(readonly url: string) {
    FakeWebSocket.opened.push(this);
    for (const resolve of FakeWebSocket.waiting.splice(0)) resolve(this);
  }

  static reset(): void {
    FakeWebSocket.opened = [];
    FakeWebSocket.waiting = [];
  }

  /** The next socket the client opens (the one already opened when `count` sockets exist). */
  static next(count = FakeWebSocket.opened.length + 1): Promise<FakeWebSocket> {
    if (FakeWebSocket.opened.length >= count) return Promise.resolve(FakeWebSocket.opened[count - 1]);
    return new Promise((resolve) => FakeWebSocket.waiting.push(resolve));
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.opened[FakeWebSocket.opened.length - 1];
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Frame);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  get token(): string | null {
    return new URL(this.url).searchParams.get('token');
  }

  // ---- the server's side

  /** Opens the socket and says hello, as the gateway does once the session is ready. */
  accept(userId = 'u-me', heartbeatMs = 25_000): void {
    this.readyState = 1;
    this.onopen?.({});
    this.push({ type: 'hello', data: { userId, username: userId.slice(2), connectionId: `c${FakeWebSocket.opened.length}`, heartbeatMs } });
  }

  push(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  reply(ref: string, data: unknown = {}): void {
    this.push({ type: 'reply', ref, ok: true, data });
  }

  fail(ref: string, code: string, message = code, retryAfterMs?: number): void {
    this.push({ type: 'reply', ref, ok: false, error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs } });
  }

  /** The server (or the network) closes the socket. */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Frames of one op the client sent. */
  ops(type: string): Frame[] {
    return this.sent.filter((f) => f.type === type);
  }

  /** The last frame of this op the client sent. */
  lastOp(type: string): Frame {
    const frames = this.ops(type);
    if (frames.length === 0) throw new Error(`the client sent no ${type}; sent: ${this.sent.map((f) => f.type).join(', ')}`);
    return frames[frames.length - 1];
  }
}
