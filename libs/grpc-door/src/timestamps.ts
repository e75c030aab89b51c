/** google.protobuf.Timestamp as proto-loader shows it (longs as numbers). */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function toTimestamp(iso: string): Timestamp {
  const ms = Date.parse(iso);
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function optionalTimestamp(iso: string | null | undefined): Timestamp | undefined {
  return iso ? toTimestamp(iso) : undefined;
}
