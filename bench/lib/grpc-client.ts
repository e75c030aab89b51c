/**
 * A room member on the gRPC door: one ChatStream (proto/chat.proto) on a connection of its own,
 * as separate devices have. Deliveries (`message_created`) go to the DeliveryRouter; results are
 * matched by `ref`. grpc-js decodes every message it receives (protobuf), so this is the
 * `BENCH_PARSE=full` kind of client work whatever BENCH_PARSE says.
 */
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { bearerMetadata, createChatGrpcClient } from '@chat/grpc-door';
import { AckCallback, RoomMember } from './bench-client';
import { gFromText } from './payload';

interface Result {
  ref: string;
  ok: boolean;
  error?: { code?: string; retry_after_ms?: number };
  joined?: unknown;
}

type ServerEvent = { event: string; result?: Result; message_created?: { text: string; seq: number }; hello?: unknown; other?: { type: string; data_json: string } };

export class GrpcBenchClient extends RoomMember {
  hello: unknown = null;
  readonly connectFailures: string[] = [];
  private client: Client | null = null;
  private call: ClientDuplexStream<object, ServerEvent> | null = null;
  private readonly pending = new Map<string, (r: Result) => void>();
  private refSeq = 0;

  /** Opens the stream (url: host:port) and resolves once `hello` arrived. */
  connect(timeoutMs: number, token: string): Promise<unknown> {
    const client = (this.client = createChatGrpcClient(this.url, { 'grpc.use_local_subchannel_pool': 1 }));
    const call = (this.call = (client as unknown as { ChatStream(m: unknown): ClientDuplexStream<object, ServerEvent> }).ChatStream(bearerMetadata(token)));
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`client ${this.index}: no hello within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.connectFailures.push(err.message);
        reject(err);
      };
      call.on('data', (e: ServerEvent) => {
        if (e.event === 'hello' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.hello = e.hello;
          return resolve(e.hello);
        }
        this.onEvent(e);
      });
      call.on('error', (err: ServiceError) => {
        if (!settled) return fail(err);
        this.countClose(err.code);
        for (const cb of this.pending.values()) cb({ ref: '', ok: false, error: { code: 'CLOSED' } });
        this.pending.clear();
      });
    });
  }

  private onEvent(e: ServerEvent): void {
    switch (e.event) {
      case 'message_created': {
        const g = gFromText(e.message_created!.text);
        if (g >= 0) this.router.deliver(this.index, g, e.message_created!.seq);
        return;
      }
      case 'result': {
        const cb = this.pending.get(e.result!.ref);
        if (cb) {
          this.pending.delete(e.result!.ref);
          cb(e.result!);
        }
        return;
      }
      case 'other':
        if (e.other!.type === 'error') {
          const code = (JSON.parse(e.other!.data_json) as { code?: string }).code ?? 'UNKNOWN';
          this.trouble.errorEvents[code] = (this.trouble.errorEvents[code] ?? 0) + 1;
        }
        return;
      default:
        return;
    }
  }

  /** Runs an action with a ref and resolves with its result. */
  request(action: string, body: object, timeoutMs = 10_000): Promise<Result> {
    return new Promise((resolve, reject) => {
      const ref = `r${++this.refSeq}`;
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new Error(`client ${this.index}: ${action} got no result within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(ref, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.call!.write({ ref, [action]: body });
    });
  }

  override send(g: number, text: string, clientMsgId: string, cb: AckCallback): void {
    const ref = `m${g}`;
    this.pending.set(ref, (r) => cb(r.ok, r.error?.code, r.error?.retry_after_ms));
    this.call!.write({ ref, send: { room_id: this.roomId, text, client_msg_id: clientMsgId } });
  }

  override close(): void {
    this.closing = true;
    this.call?.cancel();
    this.client?.close();
  }
}
