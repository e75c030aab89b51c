/**
 * The message text every system carries: `BENCH:<g>:<sender>:<sentUs>:` padded with 'x' to a
 * fixed byte length. `g` numbers the sends of one system run, so a receiver can find the
 * send (and its send time) from the text alone, without trusting anything the server adds.
 */
export const MARK = 'BENCH:';
const MARK_BUF = Buffer.from(MARK);
const COLON = 0x3a;

export function makeText(g: number, sender: number, sentUs: number, bytes: number): string {
  const head = `${MARK}${g}:${sender}:${Math.round(sentUs)}:`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

/** `g` from a text, or -1. */
export function gFromText(text: unknown): number {
  if (typeof text !== 'string') return -1;
  const at = text.indexOf(MARK);
  if (at < 0) return -1;
  const end = text.indexOf(':', at + MARK.length);
  return end < 0 ? -1 : Number(text.slice(at + MARK.length, end));
}

/** `g` from a raw frame without decoding it, or -1. */
export function gFromBuffer(buf: Buffer): number {
  const at = buf.indexOf(MARK_BUF);
  if (at < 0) return -1;
  return uintAt(buf, at + MARK_BUF.length, COLON);
}

/** The unsigned integer at `from`, ended by `stop` (or any non-digit), or -1. */
export function uintAt(buf: Buffer, from: number, stop = -1): number {
  let v = 0;
  let digits = 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      digits++;
    } else {
      if (stop >= 0 && c !== stop) return -1;
      break;
    }
  }
  return digits ? v : -1;
}
