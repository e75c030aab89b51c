/**
 * What services publish to gateways on `gw:{gatewayId}` (one connection) and `user:{id}`
 * (every connection of a user). A delivery is one header line of JSON, a newline, then an
 * optional client frame that the gateway forwards byte for byte without parsing it.
 */
export interface DeliveryHeader {
  /** Target connection on `gw:` channels; absent on `user:` channels (all of the user's sockets). */
  c?: string;
  /** Rooms to subscribe the target socket(s) to; `after` is the seq they already have. */
  sub?: { roomId: string; after: number }[];
  /** Rooms to unsubscribe the target socket(s) from. */
  unsub?: string[];
  /** Session bootstrap: the user's rooms, after which the gateway says hello. */
  sync?: string[];
  /**
   * End of a join catch-up: every message of `roomId` up to seq `upTo` has been replayed to
   * the connection; the gateway sends on what it held back (seq > upTo) and goes live.
   */
  caughtUp?: { roomId: string; upTo: number };
  /**
   * Close the target socket(s) with this WebSocket close code, after sending the frame (if
   * any): a revoked or unknown user (4001), an account ban.
   */
  close?: { code: number; reason: string };
}

export function encodeDelivery(header: DeliveryHeader, frame = ''): string {
  return `${JSON.stringify(header)}\n${frame}`;
}

export function decodeDelivery(payload: string): { header: DeliveryHeader; frame: string } {
  const nl = payload.indexOf('\n');
  if (nl < 0) return { header: JSON.parse(payload) as DeliveryHeader, frame: '' };
  return { header: JSON.parse(payload.slice(0, nl)) as DeliveryHeader, frame: payload.slice(nl + 1) };
}

/**
 * What services publish on `room:{shard}:id`: a header line — the seq of the event when it has one
 * (message.created), then, after a space, when it was committed (ms since epoch) when known —
 * a newline, then the client frame. The gateway reads the header without parsing the frame:
 * the seq so a socket catching up after a join gets neither a gap nor a repeat, the commit
 * time for its delivery-latency metric.
 */
export function encodeRoomEvent(frame: string, seq?: number, committedAt?: number): string {
  return `${seq ?? ''}${committedAt === undefined ? '' : ` ${committedAt}`}\n${frame}`;
}

export function decodeRoomEvent(payload: string): { seq?: number; committedAt?: number; frame: string } {
  const nl = payload.indexOf('\n');
  if (nl < 0) return { frame: payload };
  const frame = payload.slice(nl + 1);
  const sp = payload.lastIndexOf(' ', nl);
  const seqEnd = sp < 0 ? nl : sp;
  const seq = seqEnd === 0 ? undefined : Number(payload.slice(0, seqEnd));
  return sp < 0 ? { seq, frame } : { seq, committedAt: Number(payload.slice(sp + 1, nl)), frame };
}
