import type { Op } from './client-frames.schema';
import type { Ban, Member, MemberRole, Message, NotifyLevel, Room, RoomListing, User } from './objects.schema';
import type { ServerEvent } from './server-frames';

export interface SearchHit {
  message: Message;
  /** Plain text: matched words between « and » (docs/protocol.md "Search"). */
  highlight: string;
  score: number;
}

type Empty = Record<string, never>;

/**
 * The `data` of an ok `reply` to each op (docs/protocol.md "Ops"). Typed over every op, so a
 * new op fails the build of the SDK until its reply is written down here.
 */
export interface ReplyDataMap {
  auth: Empty;
  'auth.refresh': { expiresAt: string };
  ping: Empty;
  'room.create': { room: Room };
  'room.list': { rooms: RoomListing[] };
  'room.join': { room: Room; members: Member[]; messages: Message[] };
  'room.leave': Empty;
  'room.members': { members: Member[] };
  'room.invite': Empty;
  'dm.open': { room: Room };
  'user.lookup': { user: User };
  'room.kick': Empty;
  'room.ban': Empty;
  'room.unban': Empty;
  'room.bans': { bans: Ban[] };
  'room.mute': { until: string };
  'room.unmute': { until: null };
  'room.set_role': Empty;
  'message.send': { message: Message };
  'message.edit': { message: Message };
  'message.delete': Empty;
  'message.history': { messages: Message[]; hasMore: boolean; root?: Message };
  'reaction.add': Empty;
  'reaction.remove': Empty;
  'read.mark': { seq: number };
  'notify.set': { roomId: string; level: NotifyLevel };
  'typing.start': Empty;
  'typing.stop': Empty;
  'presence.set': Empty;
  resume: { replayed: number; truncated: string[]; forbidden: string[] };
  search: { hits: SearchHit[] };
}
export type ReplyDataOf<O extends Op> = ReplyDataMap[O];

// Every op has a reply type, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const EVERY_OP_HAS_A_REPLY: Exact<keyof ReplyDataMap, Op> = true;
void EVERY_OP_HAS_A_REPLY;

/** Why a member left a room. */
export type DepartureReason = 'left' | 'kicked' | 'banned';

/** The `data` of every server event (docs/protocol.md "Ops", "Additions", "Connecting"). */
export interface EventDataMap {
  hello: { userId: string; username: string; connectionId: string; heartbeatMs: number };
  pong: undefined;
  error: { code: string; message: string; retryAfterMs?: number };
  'message.created': Message;
  'message.updated': Message;
  'message.deleted': { id: string; roomId: string; seq: number; deletedBy: string };
  /** `room` comes only to the invitee's own devices. */
  'room.member_joined': { roomId: string; user: User; role: MemberRole; invitedBy?: string; room?: Room };
  'room.member_left': { roomId: string; userId: string; reason: DepartureReason; by?: string };
  'room.member_muted': { roomId: string; userId: string; until: string | null; by: string };
  'room.member_updated': { roomId: string; userId: string; role: MemberRole };
  'room.ban_updated': { roomId: string; userId: string; banned: boolean; by: string };
  'dm.opened': { room: Room };
  'room.created': { room: Room };
  'reaction.updated': { messageId: string; roomId: string; emoji: string; count: number; userIds: string[] };
  'read.updated': { roomId: string; userId: string; seq: number };
  'typing.updated': { roomId: string; userIds: string[] };
  'presence.updated': { userId: string; status: Member['presence']; lastSeenAt?: string };
}
export type EventType = keyof EventDataMap;
const EVERY_EVENT_HAS_DATA: Exact<EventType, ServerEvent> = true;
void EVERY_EVENT_HAS_DATA;
