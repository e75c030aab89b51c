/**
 * socket.io-client's own parser, except that a `message.created` event is not JSON-decoded:
 * its bench marker is found by string search, as the ws clients do in BENCH_PARSE=scan. So
 * in scan mode every system's receivers do the same small work per delivery, and the client
 * process (one for all 200 members) is not what the comparison measures. Every other packet
 * (connect, acks, errors) goes through the stock decoder.
 */
import { createRequire } from 'node:module';
import { benchRequire } from './bench-require';
import { MARK } from './payload';

const PREFIX = '2["message.created",';

export function scanParser(): unknown {
  const base = createRequire(benchRequire.resolve('socket.io-client'))('socket.io-parser') as {
    protocol: number;
    PacketType: unknown;
    Encoder: unknown;
    Decoder: new (...args: any[]) => { add(obj: unknown): void; emitReserved(ev: string, packet: unknown): void };
  };
  class ScanDecoder extends base.Decoder {
    override add(obj: unknown): void {
      if (typeof obj === 'string' && obj.startsWith(PREFIX)) {
        const at = obj.indexOf(MARK, PREFIX.length);
        if (at >= 0) {
          this.emitReserved('decoded', { type: 2, nsp: '/', data: ['message.created', { text: obj.slice(at, at + 40) }] });
          return;
        }
      }
      super.add(obj);
    }
  }
  return { protocol: base.protocol, PacketType: base.PacketType, Encoder: base.Encoder, Decoder: ScanDecoder };
}
