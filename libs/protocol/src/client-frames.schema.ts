import { z } from 'zod';
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_HISTORY_LIMIT, MAX_MUTE_MS, MAX_REF_LENGTH, MAX_SEARCH_QUERY_LENGTH, MAX_TEXT_LENGTH } from './limits';
import { NotifyLevel } from './objects.schema';
import { displayText, freeText, idString, messageIdString, seqNumber, usernameString } from './safe-strings.schema';

/**
 * Every client → server op of PROTOCOL.md with the shape of its `data`.
 * Unknown fields are dropped (clients may be newer than us); missing or mistyped ones are
 * BAD_REQUEST. The gateway parses with these at the edge and the services parse again when
 * they consume a stream entry, so nothing unchecked reaches the domain.
 */
const id = idString;
const messageId = messageIdString;
const seq = seqNumber;
const text = freeText(MAX_TEXT_LENGTH).refine((t) => t.trim().length > 0, 'must not be empty');
const reason = freeText(200).optional();
const emoji = idString.max(32);

export const OpData = {
  auth: z.object({ token: z.string().min(1).max(4096) }),
  'auth.refresh': z.object({ token: z.string().min(1).max(4096) }), // answered by the gateway (docs/protocol.md)
  ping: z.object({}).optional(),
  'room.create': z.object({
    name: displayText(80, 1),
    topic: displayText(250, 0).optional(),
    kind: z.enum(['public', 'private']).default('public'),
  }),
  'room.list': z.object({}).optional(),
  'room.join': z.object({ roomId: id }),
  'room.leave': z.object({ roomId: id }),
  'room.members': z.object({ roomId: id }),
  'room.invite': z.object({ roomId: id, userId: id }),
  'dm.open': z.object({ userId: id }),
  /** Finds a user by name (any case), so a client can invite or DM someone it knows by name. */
  'user.lookup': z.object({ username: usernameString }),
  // Moderation (additions to PROTOCOL.md; see docs/protocol.md).
  'room.kick': z.object({ roomId: id, userId: id, reason }),
  'room.ban': z.object({ roomId: id, userId: id, reason }),
  'room.unban': z.object({ roomId: id, userId: id }),
  'room.mute': z.object({ roomId: id, userId: id, durationMs: z.number().int().min(1000).max(MAX_MUTE_MS) }),
  'room.unmute': z.object({ roomId: id, userId: id }),
  'room.set_role': z.object({ roomId: id, userId: id, role: z.enum(['moderator', 'member']) }),
  'message.send': z.object({
    roomId: id,
    text,
    clientMsgId: id,
    replyTo: messageId.optional(),
    /** Ids of the sender's own uploads not used by any message yet (addition to PROTOCOL.md). */
    attachments: z
      .array(id)
      .max(MAX_ATTACHMENTS_PER_MESSAGE)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an attachment')
      .optional(),
  }),
  'message.edit': z.object({ messageId, text }),
  'message.delete': z.object({ messageId }),
  'message.history': z.object({
    roomId: id,
    beforeSeq: seq.min(1).optional(),
    limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional(),
    /** A message id: return that message's thread (its replies) instead of the room. */
    threadOf: messageId.optional(),
  }),
  'reaction.add': z.object({ messageId, emoji }),
  'reaction.remove': z.object({ messageId, emoji }),
  'read.mark': z.object({ roomId: id, seq }),
  /** The caller's push notification level for a room they are in (addition to PROTOCOL.md). */
  'notify.set': z.object({ roomId: id, level: NotifyLevel }),
  'typing.start': z.object({ roomId: id }),
  'typing.stop': z.object({ roomId: id }),
  'presence.set': z.object({ status: z.enum(['online', 'away', 'dnd']) }),
  resume: z.object({ rooms: z.record(id, seq) }),
  search: z.object({
    query: freeText(MAX_SEARCH_QUERY_LENGTH).pipe(z.string().trim().min(1)),
    roomId: id.optional(),
    authorId: id.optional(),
    /** Only messages sent before / after these ISO-8601 times. */
    before: z.iso.datetime({ offset: true }).optional(),
    after: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(50).optional(),
  }),
} as const;

export type Op = keyof typeof OpData;
export type OpDataOf<O extends Op> = z.output<(typeof OpData)[O]>;
export const OPS = Object.keys(OpData) as Op[];

export const FrameHeader = z.object({
  type: z.string().min(1).max(64),
  ref: z.string().max(MAX_REF_LENGTH).optional(),
  data: z.unknown().optional(),
});

/** A client frame after validation: `data` has the shape its op requires. */
export type ClientFrame = { [O in Op]: { type: O; ref?: string; data: OpDataOf<O> } }[Op];

export function isOp(type: string): type is Op {
  return Object.prototype.hasOwnProperty.call(OpData, type);
}
