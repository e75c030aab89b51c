/**
 * Many idle sockets from one process (bench:connections): a `ws` client that waits for `hello`
 * (ours, bare uWS), a socket.io-client that waits for `connect` (baseline), the source-address
 * spread that keeps the ephemeral port range from being the limit, and bounded opening
 * (concurrency, time, failures). Each socket keeps as little as possible on the client side.
 */
import WebSocket from 'ws';
import { openSioSocket } from './sio-socket';

export interface IdleSocket {
  isOpen(): boolean;
  /** One application-level round trip (ours/uWS: ping → pong; socket.io: an acked emit). */
  roundTrip(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** Unexpected closes of sockets that were open, by code/reason (counted while idle). */
export interface CloseTally {
  count: number;
  byReason: Record<string, number>;
}

export const newCloseTally = (): CloseTally => ({ count: 0, byReason: {} });

const tally = (t: CloseTally, why: string) => {
  t.count++;
  t.byReason[why] = (t.byReason[why] ?? 0) + 1;
};

/** A failure reason that groups well: the errno code, or the message without numbers. */
export function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && e.code) return e.code;
  return String(e?.message ?? err)
    .replace(/\d+(\.\d+)*(:\d+)?/g, '#')
    .slice(0, 120);
}

/**
 * Source addresses 127.0.0.2, 127.0.0.3, … each used for `perAddress` sockets in turn, over the
 * whole run (so sockets closed by an earlier system, whose ports sit in TIME_WAIT, never crowd
 * a later one). A client socket bound to an address before connect takes its own ephemeral port
 * on that address, ~28k of them per address; `perAddress` stays well below.
 */
export class SourceAddresses {
  /** 127.0.0.2 as a 24-bit host part of 127/8. */
  private host = 2;
  private onHost = 0;
  readonly used = new Set<string>();

  constructor(private readonly perAddress: number) {}

  next(): string {
    if (this.onHost >= this.perAddress) {
      this.onHost = 0;
      // Skip .0 and .255 in the last octet; all of 127/8 is loopback.
      do this.host++;
      while ((this.host & 255) === 0 || (this.host & 255) === 255);
    }
    this.onHost++;
    const addr = `127.${(this.host >> 16) & 255}.${(this.host >> 8) & 255}.${this.host & 255}`;
    this.used.add(addr);
    return addr;
  }
}

/** A plain `ws` socket that resolves once a `hello` frame arrived (PROTOCOL.md), then stays idle. */
export function openIdleWs(url: string, localAddress: string, timeoutMs: number, closes: CloseTally): Promise<IdleSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, localAddress });
    let state: 'opening' | 'open' | 'closed' = 'opening';
    let waiter: ((frame: string) => void) | null = null;
    const timer = setTimeout(() => fail(new Error(`no hello within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      if (state !== 'opening') return;
      state = 'closed';
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const sock: IdleSocket = {
      isOpen: () => state === 'open' && ws.readyState === WebSocket.OPEN,
      roundTrip: (ms) =>
        new Promise<boolean>((done) => {
          if (!sock.isOpen() || waiter) return done(false);
          const t = setTimeout(() => {
            waiter = null;
            done(false);
          }, ms);
          waiter = (frame) => {
            if (!frame.includes('"type":"pong"')) return;
            clearTimeout(t);
            waiter = null;
            done(true);
          };
          ws.send('{"type":"ping"}');
        }),
      close: () => {
        state = 'closed';
        ws.terminate();
      },
    };
    ws.on('message', (data: Buffer) => {
      if (state === 'opening') {
        if (data.includes('"type":"hello"')) {
          state = 'open';
          clearTimeout(timer);
          resolve(sock);
        }
        return;
      }
      waiter?.(data.toString());
    });
    ws.on('error', (err) => fail(err));
    ws.on('close', (code, reason) => {
      if (state === 'opening') return fail(new Error(`closed ${code} ${reason.toString().slice(0, 60)} before hello`));
      if (state === 'open') {
        state = 'closed';
        tally(closes, String(code));
      }
    });
  });
}

/**
 * A socket.io-client socket over the websocket transport only; resolves on `connect` (the
 * server's auth middleware accepted the username). `localAddress` and `perMessageDeflate` reach
 * the `ws` socket through the engine.io options.
 */
export function openIdleSio(url: string, localAddress: string, username: string, timeoutMs: number, closes: CloseTally): Promise<IdleSocket> {
  return new Promise((resolve, reject) => {
    const socket = openSioSocket(url, username, timeoutMs, { localAddress });
    let state: 'opening' | 'open' | 'closed' = 'opening';
    const timer = setTimeout(() => fail(new Error(`no connect within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      if (state !== 'opening') return;
      state = 'closed';
      clearTimeout(timer);
      socket.disconnect();
      reject(err);
    };
    const sock: IdleSocket = {
      isOpen: () => state === 'open' && socket.connected,
      roundTrip: (ms) =>
        new Promise<boolean>((done) => {
          if (!sock.isOpen()) return done(false);
          socket.timeout(ms).emit('room.create', { name: 'alive-check' }, (err, res) => done(!err && res?.ok === true));
        }),
      close: () => {
        state = 'closed';
        socket.disconnect();
      },
    };
    socket.once('connect', () => {
      if (state !== 'opening') return;
      state = 'open';
      clearTimeout(timer);
      resolve(sock);
    });
    socket.once('connect_error', (err: Error) => fail(err));
    socket.on('disconnect', (reason: string) => {
      if (state === 'open') {
        state = 'closed';
        tally(closes, reason);
      }
    });
  });
}

export interface OpenReport {
  requested: number;
  opened: number;
  attempts: number;
  /** Failed attempts by reason (a socket is tried up to `attemptsPerSocket` times). */
  failures: Record<string, number>;
  /** Why opening stopped before `requested` (time budget, too many failures), else null. */
  stoppedBecause: string | null;
  seconds: number;
  perSecond: number;
}

export interface OpenOptions {
  concurrency: number;
  /** Absolute Date.now() after which no new socket is started. */
  deadline: number;
  attemptsPerSocket: number;
  /** Stop once this many attempts failed in a row (the OS or the server refuses). */
  maxConsecutiveFailures: number;
  /** Stop once this many attempts failed in total. */
  maxFailures: number;
  onProgress?: (opened: number, failed: number) => void;
  progressEveryMs?: number;
}

/**
 * Opens up to `n` sockets, `concurrency` at a time, bounded in time and in failures; when it has
 * to stop early it keeps what succeeded (the measurement then uses that many).
 */
export async function openMany(
  n: number,
  opts: OpenOptions,
  open: (i: number) => Promise<IdleSocket>,
): Promise<{ sockets: IdleSocket[]; report: OpenReport }> {
  const t0 = Date.now();
  const sockets: IdleSocket[] = [];
  const failures: Record<string, number> = {};
  let attempts = 0;
  let failed = 0;
  let inARow = 0;
  let next = 0;
  let stoppedBecause: string | null = null;
  const progress = opts.onProgress
    ? setInterval(() => opts.onProgress!(sockets.length, failed), opts.progressEveryMs ?? 5000)
    : undefined;
  const worker = async () => {
    while (next < n && stoppedBecause === null) {
      const i = next++;
      for (let a = 1; a <= opts.attemptsPerSocket && stoppedBecause === null; a++) {
        if (Date.now() > opts.deadline) {
          stoppedBecause = `time budget: ${Math.round((opts.deadline - t0) / 1000)} s for opening passed`;
          break;
        }
        attempts++;
        try {
          sockets.push(await open(i));
          inARow = 0;
          break;
        } catch (err) {
          const why = reasonOf(err);
          failures[why] = (failures[why] ?? 0) + 1;
          failed++;
          inARow++;
          if (inARow >= opts.maxConsecutiveFailures) stoppedBecause = `${inARow} attempts in a row failed (last: ${why})`;
          else if (failed >= opts.maxFailures) stoppedBecause = `${failed} attempts failed (last: ${why})`;
          else await new Promise((r) => setTimeout(r, 50 * a));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, n)) }, worker));
  } finally {
    clearInterval(progress);
  }
  const seconds = (Date.now() - t0) / 1000;
  return {
    sockets,
    report: {
      requested: n,
      opened: sockets.length,
      attempts,
      failures,
      stoppedBecause,
      seconds,
      perSecond: seconds > 0 ? Math.round(sockets.length / seconds) : 0,
    },
  };
}
