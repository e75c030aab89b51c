import { z } from 'zod';

/** The public objects of PROTOCOL.md ("Objects"). Times are ISO-8601 UTC strings, ids opaque. */
export const RoomKind = z.enum(['public', 'private', 'dm']);
export type RoomKind = z.infer<typeof RoomKind>;

export const Room = z.object({
  id: z.string(),
  name: z.string(),
  topic: z.string(),
  kind: RoomKind,
  createdBy: z.string(),
  createdAt: z.string(),
  lastSeq: z.number().int().nonnegative(),
  memberCount: z.number().int().nonnegative(),
});
export type Room = z.infer<typeof Room>;

/**
 * When a member gets push notifications for a room's messages: every message, only those
 * that mention them (`@username`, or `@room` by a moderator or the owner), or none. A member
 * who never chose gets `all` in a DM and `mentions` elsewhere.
 */
export const NotifyLevel = z.enum(['all', 'mentions', 'none']);
export type NotifyLevel = z.infer<typeof NotifyLevel>;

export function defaultNotifyLevel(kind: RoomKind): NotifyLevel {
  return kind === 'dm' ? 'all' : 'mentions';
}

/** A room as `room.list` and `GET /api/rooms` show it to one user. */
export const RoomListing = Room.extend({
  unread: z.number().int().nonnegative(),
  joined: z.boolean(),
  /** The caller's notification level, for rooms they joined. */
  notify: NotifyLevel.optional(),
});
export type RoomListing = z.infer<typeof RoomListing>;

/** `bot: true` marks a bot account (docs/protocol.md "Bots"); absent for people. */
const botFlag = z.literal(true).optional();

export const Author = z.object({ id: z.string(), username: z.string(), bot: botFlag });
export type Author = z.infer<typeof Author>;

export const Reaction = z.object({
  emoji: z.string(),
  count: z.number().int().nonnegative(),
  userIds: z.array(z.string()),
});
export type Reaction = z.infer<typeof Reaction>;

/**
 * A file attached to a message (an upload, see docs/protocol.md "Attachments"). `type` is
 * what the server sniffed from the bytes, never what the client claimed; `width`/`height`
 * for images whose header it could read; `url` is relative to the api (Bearer token).
 */
export const Attachment = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().int().positive(),
  type: z.string(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  url: z.string(),
});
export type Attachment = z.infer<typeof Attachment>;

export const Message = z.object({
  id: z.string(),
  roomId: z.string(),
  seq: z.number().int().positive(),
  author: Author,
  text: z.string(),
  createdAt: z.string(),
  editedAt: z.string().optional(),
  deletedAt: z.string().optional(),
  replyTo: z.string().optional(),
  clientMsgId: z.string().optional(),
  reactions: z.array(Reaction),
  /** The message's files (empty for a message without any, and for a deleted message). */
  attachments: z.array(Attachment),
  /** User ids of the members the text names with `@username` (absent when none). */
  mentions: z.array(z.string()).optional(),
  /** `@room` by a moderator or the owner: every member is mentioned. */
  mentionsRoom: z.literal(true).optional(),
});
export type Message = z.infer<typeof Message>;

export const MemberRole = z.enum(['owner', 'moderator', 'member']);
export type MemberRole = z.infer<typeof MemberRole>;

export const PresenceStatus = z.enum(['online', 'away', 'dnd', 'offline']);
export type PresenceStatus = z.infer<typeof PresenceStatus>;

export const Member = z.object({
  id: z.string(),
  username: z.string(),
  role: MemberRole,
  presence: PresenceStatus,
  bot: botFlag,
  /** ISO time until which the member may not write (room.mute); absent when not muted. */
  mutedUntil: z.string().optional(),
});
export type Member = z.infer<typeof Member>;

/** One ban of a room, as `room.bans` lists them for its moderators. */
export const Ban = z.object({
  user: z.object({ id: z.string(), username: z.string(), bot: botFlag }),
  /** The user id of who banned. */
  by: z.string(),
  reason: z.string(),
  at: z.string(),
});
export type Ban = z.infer<typeof Ban>;

export const User = z.object({ id: z.string(), username: z.string(), bot: botFlag });
export type User = z.infer<typeof User>;
