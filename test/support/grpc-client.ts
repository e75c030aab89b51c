import { Metadata } from '@grpc/grpc-js';
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { bearerMetadata, createChatGrpcClient, decodeRetryStatus } from '@chat/grpc-door';
import { Inbox } from './inbox';

export type GrpcEvent = { event: string; [field: string]: any };

/** The failure of a gRPC call as a test looks at it: status, details and our trailers. */
export interface GrpcFailure {
  code: number;
  details: string;
  chatCode?: string;
  retryAfterMs?: number;
  /** RetryInfo's delay from grpc-status-details-bin. */
  retryInfoMs?: number;
}

function failureOf(err: ServiceError): GrpcFailure {
  const trailer = (key: string) => err.metadata?.get(key)[0];
  const details = trailer('grpc-status-details-bin');
  return {
    code: err.code,
    details: err.details,
    chatCode: trailer('chat-error-code') as string | undefined,
    retryAfterMs: trailer('retry-after-ms') === undefined ? undefined : Number(trailer('retry-after-ms')),
    retryInfoMs: Buffer.isBuffer(details) ? decodeRetryStatus(details).retryAfterMs : undefined,
  };
}

/**
 * A chat.ChatService client for tests: unary calls as promises (`unary`, or `failure` for
 * one expected to fail), ChatStreams that keep every event and are awaited by predicate.
 */
export class GrpcChat {
  readonly client: Client & Record<string, any>;

  /**
   * Its own HTTP/2 connection, as separate clients have: streams of one connection share its
   * flow-control window, so a stream that stops reading would hold back the others.
   */
  constructor(address: string) {
    this.client = createChatGrpcClient(address, { 'grpc.use_local_subchannel_pool': 1 }) as Client & Record<string, any>;
  }

  unary(method: string, request: object, token?: string): Promise<any> {
    const metadata = token === undefined ? new Metadata() : bearerMetadata(token);
    return new Promise((resolve, reject) =>
      this.client[method](request, metadata, (err: ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res))),
    );
  }

  /** The call's failure; fails the test when the call succeeds. */
  async failure(method: string, request: object, token?: string): Promise<GrpcFailure> {
    try {
      await this.unary(method, request, token);
    } catch (err) {
      return failureOf(err as ServiceError);
    }
    throw new Error(`${method} succeeded where a failure was expected`);
  }

  stream(token?: string, metadata?: Metadata): GrpcChatStream {
    return new GrpcChatStream(this.client.ChatStream(metadata ?? (token === undefined ? new Metadata() : bearerMetadata(token))));
  }

  close(): void {
    this.client.close();
  }
}

export class GrpcChatStream {
  private readonly inbox = new Inbox<GrpcEvent>();
  readonly events: GrpcEvent[] = this.inbox.received;
  /** Resolves with the call's end: OK, or its failure. */
  readonly ended: Promise<GrpcFailure>;
  private refs = 0;

  constructor(readonly call: ClientDuplexStream<object, GrpcEvent>) {
    call.on('data', (event: GrpcEvent) => this.inbox.push(event));
    this.ended = new Promise((resolve) => {
      call.on('error', (err: ServiceError) => resolve(failureOf(err)));
      call.on('status', (s: { code: number; details: string }) => s.code === 0 && resolve({ code: 0, details: s.details }));
    });
  }

  /** Resolves with hello (the stream's first event). */
  hello(timeoutMs = 15_000): Promise<GrpcEvent> {
    const got = this.events.find((e) => e.event === 'hello');
    return got ? Promise.resolve(got) : this.next((e) => e.event === 'hello', timeoutMs, 'hello');
  }

  /** Sends an action with a fresh ref and resolves with its result. */
  request(action: string, body: object, timeoutMs = 15_000): Promise<any> {
    const ref = `g${++this.refs}`;
    const result = this.next((e) => e.event === 'result' && e.result.ref === ref, timeoutMs, `result of ${action}`);
    this.call.write({ ref, [action]: body });
    return result.then((e) => e.result);
  }

  /** Like request, but fails unless the result is ok. */
  async act(action: string, body: object): Promise<any> {
    const result = await this.request(action, body);
    if (!result.ok) throw new Error(`${action} failed: ${JSON.stringify(result.error)}`);
    return result;
  }

  next(pred: (e: GrpcEvent) => boolean, timeoutMs = 15_000, what = 'an event'): Promise<GrpcEvent> {
    return this.inbox.next(pred, timeoutMs, what);
  }

  waitForCount(pred: (e: GrpcEvent) => boolean, count: number, timeoutMs = 30_000, what = 'events'): Promise<GrpcEvent[]> {
    return this.inbox.waitForCount(pred, count, timeoutMs, what);
  }

  /** Half-closes and resolves with the call's end. */
  end(): Promise<GrpcFailure> {
    this.call.end();
    return this.ended;
  }
}
