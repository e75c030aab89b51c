/**
 * A Web Push endpoint that accepts everything at once (201), as a push service's front door
 * would, and records each request by subscription (the URL path) and Topic (the push service
 * derives it from the message id): enough to count notifications, find duplicates and time
 * them, without spending the bench's CPU on decrypting.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export class PushSink {
  /** `${path} ${topic}` → arrival time (ms, performance.now()). */
  readonly arrivals = new Map<string, number>();
  duplicates = 0;
  count = 0;
  private waiter: { count: number; resolve: () => void } | undefined;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PushSink> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sink = new PushSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(201).end();
        const key = `${req.url} ${req.headers.topic}`;
        if (sink.arrivals.has(key)) sink.duplicates++;
        else sink.arrivals.set(key, performance.now());
        sink.count++;
        if (sink.waiter && sink.count >= sink.waiter.count) sink.waiter.resolve();
      });
    });
    return sink;
  }

  /** Resolves once `count` requests arrived, or after `timeoutMs` with what there is. */
  until(count: number, timeoutMs: number): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  reset(): void {
    this.arrivals.clear();
    this.duplicates = 0;
    this.count = 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
