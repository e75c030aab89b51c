import WebSocket from 'ws';
import { Inbox } from './inbox';

export type Frame = { type: string; ref?: string; ok?: boolean; data?: any; error?: { code: string; message: string; retryAfterMs?: number } };

/**
 * A plain `ws` client speaking the wire protocol as PROTOCOL.md writes it, with just enough
 * bookkeeping for tests: every received frame is kept, requests get a ref, and tests await
 * frames by predicate (no sleeps).
 */
export class WsClient {
  private readonly inbox = new Inbox<Frame>();
  readonly frames: Frame[] = this.inbox.received;
  readonly closed: Promise<{ code: number; reason: string }>;
  private refs = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.inbox.push(JSON.parse(data.toString()) as Frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket; with a token, resolves once `hello` arrived. */
  static async connect(url: string, token?: string, options: { waitHello?: boolean; autoPong?: boolean } = {}): Promise<WsClient> {
    const ws = new WebSocket(token ? `${url}?token=${encodeURIComponent(token)}` : url, { autoPong: options.autoPong ?? true });
    const client = new WsClient(ws);
    const hello = token && options.waitHello !== false ? client.next((f) => f.type === 'hello', 15_000, 'hello') : undefined;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`closed ${code} before open`)));
    });
    await hello;
    return client;
  }

  get hello(): Frame | undefined {
    return this.frames.find((f) => f.type === 'hello');
  }

  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  send(type: string, data?: unknown, ref?: string): void {
    this.ws.send(JSON.stringify(ref === undefined ? { type, data } : { type, ref, data }));
  }

  /** Sends an op with a fresh ref and resolves with its reply (ok or not). */
  request(type: string, data?: unknown, timeoutMs = 15_000): Promise<Frame> {
    const ref = `r${++this.refs}`;
    const reply = this.next((f) => f.type === 'reply' && f.ref === ref, timeoutMs, `reply to ${type}`);
    this.send(type, data, ref);
    return reply;
  }

  /** Like request, but fails unless the reply is ok; resolves with its data. */
  async call(type: string, data?: unknown): Promise<any> {
    const reply = await this.request(type, data);
    if (!reply.ok) throw new Error(`${type} failed: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  /** The first frame, received from now on, that matches. */
  next(pred: (f: Frame) => boolean, timeoutMs = 15_000, what = 'a frame'): Promise<Frame> {
    return this.inbox.next(pred, timeoutMs, what);
  }

  /** Resolves once `count` frames (received so far or later) match. */
  waitForCount(pred: (f: Frame) => boolean, count: number, timeoutMs = 30_000, what = 'frames'): Promise<Frame[]> {
    return this.inbox.waitForCount(pred, count, timeoutMs, what);
  }

  events(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

/** `POST /api/auth/guest`: a token and user for a fresh username. */
export async function guest(apiUrl: string, username: string): Promise<{ token: string; user: { id: string; username: string } }> {
  const res = await fetch(`${apiUrl}/api/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (res.status !== 200) throw new Error(`guest login ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string; user: { id: string; username: string } };
}
