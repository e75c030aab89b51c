/** socket.io-client, loaded from bench/node_modules, and the one way the benches open a socket with it. */
import { benchRequire } from './bench-require';

/** The part of socket.io-client's Socket the benches use (no type import: see bench-require). */
export interface SioSocket {
  connected: boolean;
  on(event: string, fn: (...args: any[]) => void): this;
  once(event: string, fn: (...args: any[]) => void): this;
  emit(event: string, ...args: any[]): this;
  timeout(ms: number): { emit(event: string, data: unknown, ack: (err: Error | null, res: any) => void): void };
  disconnect(): this;
}
type IoFactory = (url: string, opts: Record<string, unknown>) => SioSocket;

let ioFactory: IoFactory | null = null;

/**
 * A new socket over the websocket transport only, no reconnection, no compression, authenticated
 * by `auth: { username }`; `extra` adds engine.io/manager options (a parser, a localAddress).
 */
export function openSioSocket(url: string, username: string, timeoutMs: number, extra: Record<string, unknown> = {}): SioSocket {
  ioFactory ??= (benchRequire('socket.io-client') as { io: IoFactory }).io;
  return ioFactory(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    auth: { username },
    perMessageDeflate: false,
    ...extra,
  });
}
