/**
 * A room member of the Socket.IO baseline: socket.io-client over the websocket transport only.
 * socket.io-client decodes every packet (JSON) itself, which is what any of its users pays.
 */
import { AckCallback, RoomMember, withTimeout } from './bench-client';
import { gFromText } from './payload';
import { scanParser } from './sio-scan-parser';
import { openSioSocket, SioSocket } from './sio-socket';

let scan: unknown = null;
const sharedScanParser = () => (scan ??= scanParser());

export class SioBenchClient extends RoomMember {
  private socket: SioSocket | null = null;

  connect(username: string, timeoutMs: number): Promise<void> {
    const socket = openSioSocket(this.url, username, timeoutMs, this.parse === 'scan' ? { parser: sharedScanParser() } : {});
    this.socket = socket;
    socket.on('message.created', (msg: { text?: string; seq?: number }) => {
      const g = gFromText(msg?.text);
      if (g >= 0) this.router.deliver(this.index, g, -1);
    });
    socket.on('disconnect', (reason: string) => this.countClose(reason));
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

  override send(_g: number, text: string, clientMsgId: string, cb: AckCallback): void {
    this.socket!.emit('message.send', { roomId: this.roomId, text, clientMsgId }, (res: { ok?: boolean; error?: { code?: string } }) =>
      cb(res?.ok === true, res?.error?.code),
    );
  }

  override close(): void {
    this.closing = true;
    this.socket?.disconnect();
  }
}
