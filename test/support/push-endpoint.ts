import { createECDH, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { importJWK, jwtVerify } from 'jose';

/** A notification as the browser would show it: the decrypted payload, and what it came with. */
export interface ReceivedPush {
  subscription: string;
  payload: { title: string; body: string; roomId: string; messageId: string; url: string };
  topic: string | undefined;
  at: number;
}

/** What the endpoint answers a subscription's next requests (default 201). */
export type Answer = { status: number; retryAfter?: string };

/**
 * A browser subscription: the P-256 key pair and auth secret a browser creates when it
 * subscribes, and the endpoint URL its push service would hand out.
 */
export class TestSubscription {
  readonly ecdh = createECDH('prime256v1');
  readonly auth = randomBytes(16);
  /** Answers queued for the next requests; when empty, 201. */
  readonly answers: Answer[] = [];
  /** Every request's arrival time (ms), answered or not. */
  readonly requests: number[] = [];

  constructor(
    readonly id: string,
    readonly endpoint: string,
  ) {
    this.ecdh.generateKeys();
  }

  /** `PushSubscription.toJSON()`. */
  toJSON() {
    return {
      endpoint: this.endpoint,
      expirationTime: null,
      keys: { p256dh: this.ecdh.getPublicKey().toString('base64url'), auth: this.auth.toString('base64url') },
    };
  }
}

/**
 * A Web Push endpoint (a push service and a browser in one) running inside the test. Every
 * request must carry a VAPID JWT (RFC 8292) signed by the server's public key as the api
 * serves it, for this endpoint's origin, and an aes128gcm body (RFC 8291) it decrypts with
 * the subscription's private key; anything else is answered 400/401/403 and recorded as a
 * failure. A push counts as received once the 201 was written to a client still connected.
 * `hold()` stops answering (requests wait), so a test can kill the sender while its
 * requests are in flight: those never count.
 */
export class PushEndpoint {
  readonly received: ReceivedPush[] = [];
  readonly failures: string[] = [];
  private readonly subscriptions = new Map<string, TestSubscription>();
  private readonly waiters = new Set<() => void>();
  private readonly held: { answer: () => void; socket: Socket }[] = [];
  private holding = false;
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly vapidPublicKey: string,
  ) {}

  static async start(vapidPublicKey: string): Promise<PushEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = new PushEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, vapidPublicKey);
    server.on('request', (req, res) => void endpoint.handle(req, res));
    return endpoint;
  }

  subscribe(): TestSubscription {
    const id = `s${++this.counter}`;
    const sub = new TestSubscription(id, `${this.origin}/push/${id}/${randomBytes(12).toString('base64url')}`);
    this.subscriptions.set(id, sub);
    return sub;
  }

  of(sub: TestSubscription): ReceivedPush[] {
    return this.received.filter((p) => p.subscription === sub.id);
  }

  /** Resolves once `count` pushes reached `sub` (or throws on timeout, listing the failures). */
  async waitFor(sub: TestSubscription, count: number, timeoutMs = 20_000): Promise<ReceivedPush[]> {
    await this.until(() => this.of(sub).length >= count, timeoutMs, `${count} pushes to ${sub.id} (got ${this.of(sub).length})`);
    return this.of(sub);
  }

  /** Resolves once `count` requests wait unanswered (see hold). */
  async waitHeld(count: number, timeoutMs = 20_000): Promise<void> {
    await this.until(() => this.held.length >= count, timeoutMs, `${count} held requests (got ${this.held.length})`);
  }

  /** From now on, requests are not answered until `release()`. */
  hold(): void {
    this.holding = true;
  }

  /** Resolves once every held request's connection is closed by its sender (e.g. killed). */
  async waitHeldDisconnected(timeoutMs = 20_000): Promise<void> {
    await this.until(() => this.held.every((h) => h.socket.destroyed), timeoutMs, 'the held requests to be abandoned');
  }

  release(): void {
    this.holding = false;
    for (const { answer } of this.held.splice(0)) answer();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; failures: ${JSON.stringify(this.failures)}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const sub = this.subscriptions.get(req.url?.split('/')[2] ?? '');
    if (!sub || req.method !== 'POST') return void res.writeHead(404).end();
    sub.requests.push(Date.now());
    let payload: ReceivedPush['payload'];
    try {
      await this.verifyVapid(req);
      payload = JSON.parse(decryptAes128gcm(body, sub).toString('utf8'));
    } catch (err) {
      this.failures.push(`${sub.id}: ${(err as Error).message}`);
      res.writeHead((err as { status?: number }).status ?? 400).end();
      return this.changed();
    }
    const socket = req.socket as Socket;
    const answer = () => {
      if (socket.destroyed) return; // the sender is gone: nothing was accepted
      const { status, retryAfter } = sub.answers.shift() ?? { status: 201 };
      res.writeHead(status, retryAfter ? { 'retry-after': retryAfter } : {}).end(() => {
        if (status === 201) this.received.push({ subscription: sub.id, payload, topic: req.headers.topic as string | undefined, at: Date.now() });
        this.changed();
      });
    };
    if (this.holding) {
      this.held.push({ answer, socket });
      socket.once('close', () => this.changed());
      this.changed();
    } else answer();
  }

  /** `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292 §3). */
  private async verifyVapid(req: IncomingMessage): Promise<void> {
    const header = req.headers.authorization ?? '';
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
    if (!match) throw Object.assign(new Error(`no VAPID authorization: ${header}`), { status: 401 });
    const [, token, k] = match;
    if (k !== this.vapidPublicKey) throw Object.assign(new Error('VAPID key is not the served one'), { status: 403 });
    const point = Buffer.from(k, 'base64url');
    const key = await importJWK(
      { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      'ES256',
    );
    const { payload } = await jwtVerify(token, key, { audience: this.origin, algorithms: ['ES256'] });
    if (!payload.sub || !/^(mailto:|https:)/.test(payload.sub)) throw Object.assign(new Error(`bad sub ${payload.sub}`), { status: 403 });
    if (!payload.exp || payload.exp > Date.now() / 1000 + 24 * 3600) throw Object.assign(new Error('exp beyond 24 h'), { status: 403 });
    if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
    if (!req.headers.ttl) throw new Error('no TTL header');
  }
}

/**
 * RFC 8291 / RFC 8188: header salt(16) | rs(4) | idlen(1) | keyid (the sender's ephemeral
 * public key), then one record: AES-128-GCM of payload | 0x02 | padding.
 */
function decryptAes128gcm(body: Buffer, sub: TestSubscription): Buffer {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const senderPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const ecdhSecret = sub.ecdh.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), sub.ecdh.getPublicKey(), senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, sub.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (plain[end] !== 2) throw new Error('no last-record delimiter');
  return plain.subarray(0, end);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
