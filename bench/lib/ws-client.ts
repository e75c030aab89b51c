/**
 * A room member speaking PROTOCOL.md over a plain `ws` socket (ours, and the bare uWS ceiling,
 * which speaks the same frames). Deliveries (`message.created`) go to the DeliveryRouter;
 * replies are matched by `ref`.
 */
import WebSocket from 'ws';
import { AckCallback, mapLimit, RoomMember } from './bench-client';
import { gFromBuffer, gFromText, uintAt } from './payload';

const CREATED = Buffer.from('"type":"message.created"');
const SEQ = Buffer.from('"seq":');

interface Frame {
  type?: string;
  ref?: string;
  ok?: boolean;
  data?: any;
  error?: { code?: string; message?: string; retryAfterMs?: number };
}

export class WsBenchClient extends RoomMember {
  hello: any = null;
  /** Why earlier connection attempts failed (the last one succeeded unless connect threw). */
  readonly connectFailures: string[] = [];
  private ws: WebSocket | null = null;
  private readonly pending = new Map<string, (f: Frame) => void>();
  private refSeq = 0;

  /** Opens the socket and resolves with the `hello` data; up to `attempts` tries, failures kept. */
  async connect(timeoutMs: number, attempts = 1): Promise<any> {
    for (let i = 1; ; i++) {
      try {
        return await this.connectOnce(timeoutMs);
      } catch (err) {
        this.connectFailures.push((err as Error).message.replace(/^client \d+: /, ''));
        if (i >= attempts) throw err;
        await new Promise((r) => setTimeout(r, 100 * i));
      }
    }
  }

  private connectOnce(timeoutMs: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      this.ws = ws;
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`client ${this.index}: no hello within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      ws.on('message', (data: Buffer) => {
        const hello = this.onFrame(data);
        if (hello && !settled) {
          settled = true;
          clearTimeout(timer);
          this.hello = hello;
          resolve(hello);
        }
      });
      ws.on('error', (err) => fail(err));
      ws.on('close', (code, reason) => {
        if (!settled) return fail(new Error(`client ${this.index}: closed ${code} ${reason.toString()} before hello`));
        if (this.ws !== ws) return;
        this.countClose(code);
        for (const cb of this.pending.values()) cb({ type: 'reply', ok: false, error: { code: 'CLOSED' } });
        this.pending.clear();
      });
    });
  }

  /** Handles one frame; returns the hello data when it is the hello. */
  private onFrame(buf: Buffer): any {
    if (this.parse === 'scan' && buf.indexOf(CREATED) >= 0) {
      const g = gFromBuffer(buf);
      if (g >= 0) {
        const at = buf.indexOf(SEQ);
        this.router.deliver(this.index, g, at >= 0 ? uintAt(buf, at + SEQ.length) : -1);
        return null;
      }
    }
    let f: Frame;
    try {
      f = JSON.parse(buf.toString());
    } catch {
      this.trouble.badFrames++;
      return null;
    }
    switch (f.type) {
      case 'message.created': {
        const g = gFromText(f.data?.text);
        if (g >= 0) this.router.deliver(this.index, g, typeof f.data.seq === 'number' ? f.data.seq : -1);
        return null;
      }
      case 'reply': {
        const cb = f.ref === undefined ? undefined : this.pending.get(f.ref);
        if (cb) {
          this.pending.delete(f.ref!);
          cb(f);
        }
        return null;
      }
      case 'hello':
        return f.data ?? {};
      case 'error': {
        const code = f.data?.code ?? 'UNKNOWN';
        this.trouble.errorEvents[code] = (this.trouble.errorEvents[code] ?? 0) + 1;
        return null;
      }
      default:
        return null;
    }
  }

  /** Sends an op with a ref and resolves with the reply frame. */
  request(type: string, data: unknown, timeoutMs = 10_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const ref = `r${++this.refSeq}`;
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new Error(`client ${this.index}: ${type} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(ref, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.ws!.send(JSON.stringify({ type, ref, data }));
    });
  }

  override send(g: number, text: string, clientMsgId: string, cb: AckCallback): void {
    const ref = `m${g}`;
    this.pending.set(ref, (f) => cb(f.ok === true, f.error?.code, f.error?.retryAfterMs));
    this.ws!.send(JSON.stringify({ type: 'message.send', ref, data: { roomId: this.roomId, text, clientMsgId } }));
  }

  ping(): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send('{"type":"ping"}');
  }

  override close(): void {
    this.closing = true;
    this.ws?.terminate();
  }
}

export async function okData(p: Promise<Frame>, what: string): Promise<any> {
  const f = await p;
  if (!f.ok) throw new Error(`${what} failed: ${JSON.stringify(f.error)}`);
  return f.data;
}

/** Client 0 creates the bench room, then every client joins it (20 at a time). */
export async function joinBenchRoom(clients: WsBenchClient[]): Promise<void> {
  const room = (await okData(clients[0].request('room.create', { name: 'bench' }), 'room.create')).room;
  await mapLimit(clients, 20, async (c) => {
    await okData(c.request('room.join', { roomId: room.id }), `room.join (client ${c.index})`);
    c.roomId = room.id;
  });
}
