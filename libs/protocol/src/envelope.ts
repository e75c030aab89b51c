import { z } from 'zod';
import { idString, seqNumber } from './safe-strings.schema';

/**
 * A stream entry on `chat:in:{shard}`: one client frame plus who sent it and where to
 * answer. The gateway forwards the client's frame text unchanged (`f`); the consuming
 * service parses and validates it again, so a bad entry can never reach the domain.
 * Fields are flat strings because that is what a Redis stream entry holds.
 */
export const Envelope = z.object({
  /** The client frame, as the client sent it (or an internal `$` op built by the gateway). */
  f: z.string(),
  /** Sender's user id and username (from the verified token). */
  u: z.string(),
  n: z.string(),
  /** Sender's gateway and connection: where the reply goes. */
  g: z.string(),
  c: z.string(),
  /** Gateway receive time, ms since epoch: for end-to-end latency metrics. */
  t: z.coerce.number(),
});
export type Envelope = z.infer<typeof Envelope>;

export function envelopeFields(e: Envelope): string[] {
  return ['f', e.f, 'u', e.u, 'n', e.n, 'g', e.g, 'c', e.c, 't', String(e.t)];
}

export function envelopeFromFields(fields: string[]): Envelope {
  const obj: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) obj[fields[i]] = fields[i + 1];
  return Envelope.parse(obj);
}

/**
 * Ops only gateways send (never accepted from a client: their names start with `$`).
 * On `chat:in:{shard}` (messages service):
 * - `$session.sync`: load the user's rooms into Redis and answer with a `sync` delivery.
 * - `$catchup`: after a socket subscribed to a room it just joined, replay seq > after.
 * On `presence:in` (presence service), with the envelope's u/n/g/c naming the connection:
 * - `$presence.connect` / `$presence.disconnect`: a connection said hello / closed.
 * - `$gateway.heartbeat`: the gateway `g` is alive (sent every few seconds).
 */
export const InternalOp = {
  SESSION_SYNC: '$session.sync',
  CATCHUP: '$catchup',
  PRESENCE_CONNECT: '$presence.connect',
  PRESENCE_DISCONNECT: '$presence.disconnect',
  GATEWAY_HEARTBEAT: '$gateway.heartbeat',
} as const;

export const InternalOpData = {
  [InternalOp.SESSION_SYNC]: z.object({}).optional(),
  [InternalOp.CATCHUP]: z.object({ roomId: idString, after: seqNumber }),
  [InternalOp.PRESENCE_CONNECT]: z.object({}).optional(),
  [InternalOp.PRESENCE_DISCONNECT]: z.object({}).optional(),
  [InternalOp.GATEWAY_HEARTBEAT]: z.object({}).optional(),
};

/**
 * A gateway-internal op carried by a stream entry, or undefined when the entry holds a client
 * frame (or text that is not JSON: the client-frame parser answers that). Internal ops are
 * told apart by their *parsed* `type` — the gateway never forwards a client frame whose type
 * starts with `$` — never by the raw text, which a client controls (duplicate keys).
 * `valid` is false for an unknown `$` op or bad data: drop it, nobody is waiting.
 */
export function decodeInternalOp(raw: string): { type: string; data: unknown; valid: boolean } | undefined {
  let frame: { type?: unknown; data?: unknown };
  try {
    frame = JSON.parse(raw) as typeof frame;
  } catch {
    return undefined;
  }
  if (typeof frame?.type !== 'string' || !frame.type.startsWith('$')) return undefined;
  const parsed = InternalOpData[frame.type as keyof typeof InternalOpData]?.safeParse(frame.data);
  return { type: frame.type, data: parsed?.data, valid: Boolean(parsed?.success) };
}
