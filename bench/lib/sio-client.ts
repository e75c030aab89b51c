/**
 * A room member of the Socket.IO baseline: socket.io-client over the websocket transport only.
 * socket.io-client decodes every packet (JSON) itself, which is what any of its users pays.
 */
import { AckCallback, BenchClient, ClientTrouble, newTrouble, withTimeout } from './bench-client';
import { benchRequire } from './bench-require';
import type { ParseMode } from './config';
import { gFromText } from './payload';
import { scanParser } from './sio-scan-parser';
import type { DeliveryRouter } from './recorder';

/** The part of socket.io-client's Socket this bench uses (no type import: see bench-require). */
interface SioSocket {
  connected: boolean;
  on(event: string, fn: (...args: any[]) => void): this;
  once(event: string, fn: (...args: any[]) => void): this;
  emit(event: string, ...args: any[]): this;
  disconnect(): this;
}
type IoFactory = (url: string, opts: Record<string, unknown>) => SioSocket;

let ioFactory: IoFactory | null = null;
function io(): IoFactory {
  ioFactory ??= (benchRequire('socket.io-client') as { io: IoFactory }).io;
  return ioFactory;
}

let scan: unknown = null;
const sharedScanParser = () => (scan ??= scanParser());

export class SioBenchClient implements BenchClient {
  readonly trouble: ClientTrouble = newTrouble();
  roomId = '';
  private socket: SioSocket | null = null;
  private closing = false;

  constructor(
    readonly index: number,
    private readonly url: string,
    private readonly router: DeliveryRouter,
    private readonly parse: ParseMode,
  ) {}

  connect(username: string, timeoutMs: number): Promise<void> {
    const socket = io()(this.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      auth: { username },
      perMessageDeflate: false,
      ...(this.parse === 'scan' ? { parser: sharedScanParser() } : {}),
    });
    this.socket = socket;
    socket.on('message.created', (msg: { text?: string; seq?: number }) => {
      const g = gFromText(msg?.text);
      if (g >= 0) this.router.deliver(this.index, g, -1);
    });
    socket.on('disconnect', (reason: string) => {
      if (this.closing) return;
      this.trouble.closes++;
      this.trouble.closeCodes[reason] = (this.trouble.closeCodes[reason] ?? 0) + 1;
    });
    return withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (err: Error) => reject(err));
      }),
      timeoutMs,
      `socket.io client ${this.index} connect`,
    );
  }

  /** Emits with an ack and resolves with the ack payload. */
  request(event: string, data: unknown, timeoutMs = 10_000): Promise<any> {
    return withTimeout(
      new Promise((resolve) => this.socket!.emit(event, data, resolve)),
      timeoutMs,
      `socket.io client ${this.index} ${event}`,
    );
  }

  send(_g: number, text: string, clientMsgId: string, cb: AckCallback): void {
    this.socket!.emit('message.send', { roomId: this.roomId, text, clientMsgId }, (res: { ok?: boolean; error?: { code?: string } }) =>
      cb(res?.ok === true, res?.error?.code),
    );
  }

  close(): void {
    this.closing = true;
    this.socket?.disconnect();
  }
}
