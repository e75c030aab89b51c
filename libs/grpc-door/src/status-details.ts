/**
 * `grpc-status-details-bin` (the gRPC richer error model): a google.rpc.Status carrying one
 * google.rpc.RetryInfo, which gRPC clients and libraries read as "retry after this delay".
 * Three tiny messages, so they are encoded by hand here rather than through a protobuf
 * runtime: Status{1 code, 2 message, 3 details: Any{1 type_url, 2 value}},
 * RetryInfo{1 retry_delay: Duration{1 seconds, 2 nanos}}.
 */
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}

function varintField(field: number, value: number): number[] {
  return value === 0 ? [] : [(field << 3) | 0, ...varint(value)];
}

function bytesField(field: number, bytes: Uint8Array | number[]): number[] {
  return [(field << 3) | 2, ...varint(bytes.length), ...bytes];
}

function retryInfo(retryAfterMs: number): number[] {
  const seconds = Math.floor(retryAfterMs / 1000);
  const nanos = (retryAfterMs % 1000) * 1_000_000;
  return bytesField(1, [...varintField(1, seconds), ...varintField(2, nanos)]);
}

/** A google.rpc.Status with `code`, `message` and a RetryInfo of `retryAfterMs`. */
export function encodeRetryStatus(code: number, message: string, retryAfterMs: number): Buffer {
  const any = [...bytesField(1, Buffer.from(RETRY_INFO_TYPE_URL)), ...bytesField(2, retryInfo(retryAfterMs))];
  return Buffer.from([...varintField(1, code), ...bytesField(2, Buffer.from(message)), ...bytesField(3, any)]);
}

interface Field {
  field: number;
  value: number | Buffer;
}

function readFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let i = 0;
  const readVarint = () => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[i++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const wire = key & 7;
    if (wire === 0) fields.push({ field: key >> 3, value: readVarint() });
    else if (wire === 2) {
      const length = readVarint();
      fields.push({ field: key >> 3, value: buf.subarray(i, i + length) });
      i += length;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return fields;
}

/** Reads what encodeRetryStatus wrote (and any Status whose details hold a RetryInfo): for clients and tests. */
export function decodeRetryStatus(buf: Buffer): { code: number; message: string; retryAfterMs?: number } {
  const status = readFields(buf);
  const code = (status.find((f) => f.field === 1)?.value as number | undefined) ?? 0;
  const message = (status.find((f) => f.field === 2)?.value as Buffer | undefined)?.toString() ?? '';
  for (const detail of status.filter((f) => f.field === 3)) {
    const any = readFields(detail.value as Buffer);
    if ((any.find((f) => f.field === 1)?.value as Buffer | undefined)?.toString() !== RETRY_INFO_TYPE_URL) continue;
    const info = readFields(any.find((f) => f.field === 2)!.value as Buffer);
    const duration = readFields((info.find((f) => f.field === 1)?.value as Buffer | undefined) ?? Buffer.alloc(0));
    const seconds = (duration.find((f) => f.field === 1)?.value as number | undefined) ?? 0;
    const nanos = (duration.find((f) => f.field === 2)?.value as number | undefined) ?? 0;
    return { code, message, retryAfterMs: seconds * 1000 + Math.round(nanos / 1_000_000) };
  }
  return { code, message };
}
