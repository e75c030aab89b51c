import { decodeInternalOp, Envelope, envelopeFromFields, ErrorCode, InternalOp, parseClientFrame, PresenceStatus } from '@chat/protocol';
import { Logger } from '@chat/observability';
import { StreamEntry } from '@chat/redis';
import { ChatEffects } from '@chat/streams';

/** One `presence:in` entry after validation. `ref` is set for client frames only. */
export type PresenceOp =
  | { type: typeof InternalOp.PRESENCE_CONNECT; env: Envelope }
  | { type: typeof InternalOp.PRESENCE_DISCONNECT; env: Envelope }
  | { type: typeof InternalOp.GATEWAY_HEARTBEAT; env: Envelope }
  | { type: 'presence.set'; env: Envelope; ref?: string; status: Exclude<PresenceStatus, 'offline'> }
  | { type: 'typing.start' | 'typing.stop'; env: Envelope; ref?: string; roomId: string };

const INTERNAL = [InternalOp.PRESENCE_CONNECT, InternalOp.PRESENCE_DISCONNECT, InternalOp.GATEWAY_HEARTBEAT] as const;
type PresenceInternalOp = (typeof INTERNAL)[number];

/**
 * Validates one entry again (the stream is a trust boundary too). A bad client frame is
 * answered BAD_REQUEST through `out`; an entry with nobody to answer (malformed envelope,
 * unknown internal op) is dropped and logged. Returns undefined for anything not to apply.
 */
export function decodePresenceOp(entry: StreamEntry, out: ChatEffects, logger: Logger): PresenceOp | undefined {
  let env: Envelope;
  try {
    env = envelopeFromFields(entry.fields);
  } catch (err) {
    logger.error({ id: entry.id, err }, 'malformed presence:in entry dropped');
    return undefined;
  }

  const internal = decodeInternalOp(env.f);
  if (internal) {
    if (internal.valid && (INTERNAL as readonly string[]).includes(internal.type)) {
      return { type: internal.type as PresenceInternalOp, env };
    }
    logger.error({ id: entry.id, type: internal.type.slice(0, 64) }, 'unknown or invalid internal op on presence:in; dropped');
    return undefined;
  }

  const parsed = parseClientFrame(env.f);
  if (!parsed.ok) {
    out.replyError(env, parsed.ref, parsed.error);
    return undefined;
  }
  const frame = parsed.frame;
  switch (frame.type) {
    case 'presence.set':
      return { type: frame.type, env, ref: frame.ref, status: frame.data.status };
    case 'typing.start':
    case 'typing.stop':
      return { type: frame.type, env, ref: frame.ref, roomId: frame.data.roomId };
    default:
      out.replyError(env, frame.ref, { code: ErrorCode.BAD_REQUEST, message: `op ${frame.type} is not handled by the presence service` });
      return undefined;
  }
}
