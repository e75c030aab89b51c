import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { WebhookEvent, WebhookHeaders, webhookSignatureProblem } from '@chat/webhooks';

/** One request a receiver path got, with its verdict. */
export interface ReceivedWebhook {
  event: WebhookEvent;
  headers: IncomingHttpHeaders;
  /** What the receiver answered. */
  status: number;
}

/** A webhook URL of the receiver: what it answers next (default 200), and what it got. */
export class ReceiverPath {
  /** Statuses for the next requests; when empty, `always` (200 unless set). */
  readonly answers: number[] = [];
  always = 200;
  secret?: string;
  readonly requests: ReceivedWebhook[] = [];

  constructor(readonly url: string) {}

  /** Requests answered 2xx: the events the receiver accepted. */
  get accepted(): ReceivedWebhook[] {
    return this.requests.filter((r) => r.status < 300);
  }
}

/**
 * A webhook receiver inside the test, as a customer would write one: each request's
 * signature is checked against the path's secret with the verify helper libs/webhooks
 * exports (HMAC over "<timestamp>.<raw body>", 5-minute window) before anything else; a bad
 * one is answered 401 and recorded as a failure, so tests can assert there were none.
 */
export class WebhookReceiver {
  readonly failures: string[] = [];
  private readonly paths = new Map<string, ReceiverPath>();
  private readonly waiters = new Set<() => void>();
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => void receiver.handle(req, res));
    return receiver;
  }

  /** A new URL; give it the secret the api returned before events arrive. */
  path(): ReceiverPath {
    const path = new ReceiverPath(`${this.origin}/hooks/${++this.counter}`);
    this.paths.set(new URL(path.url).pathname, path);
    return path;
  }

  /** Resolves once `done` holds, re-checked after every request (throws on timeout, quoting failures). */
  until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
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

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = this.paths.get(req.url ?? '');
    if (!path || req.method !== 'POST') return void res.writeHead(404).end();
    const problem = path.secret
      ? webhookSignatureProblem(path.secret, {
          body,
          timestamp: req.headers[WebhookHeaders.timestamp] as string | undefined,
          signature: req.headers[WebhookHeaders.signature] as string | undefined,
        })
      : 'no secret registered for this path';
    if (problem) {
      this.failures.push(`${req.url}: ${problem}`);
      res.writeHead(401).end(() => this.changed());
      return;
    }
    const status = path.answers.shift() ?? path.always;
    path.requests.push({ event: JSON.parse(body) as WebhookEvent, headers: req.headers, status });
    res.writeHead(status).end(() => this.changed());
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
