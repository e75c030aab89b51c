import { Attachment, EventDataMap, Member, Message, Room, RoomListing } from '@chat/protocol';
import { optionalTimestamp, Timestamp, toTimestamp } from './timestamps';

/**
 * The protocol's objects (docs/protocol.md "Objects") as the messages of proto/chat.proto:
 * snake_case fields, times as google.protobuf.Timestamp, absent optionals left unset.
 */
export interface ProtoMessage {
  id: string;
  room_id: string;
  seq: number;
  author: { id: string; username: string };
  text: string;
  created_at: Timestamp;
  edited_at?: Timestamp;
  deleted_at?: Timestamp;
  reply_to?: string;
  client_msg_id?: string;
  reactions: { emoji: string; count: number; user_ids: string[] }[];
  attachments: ProtoAttachment[];
  mentions: string[];
  mentions_room: boolean;
}

interface ProtoAttachment {
  id: string;
  name: string;
  size: number;
  type: string;
  width?: number;
  height?: number;
  url: string;
}

export function toProtoMessage(m: Message): ProtoMessage {
  return {
    id: m.id,
    room_id: m.roomId,
    seq: m.seq,
    author: { id: m.author.id, username: m.author.username },
    text: m.text,
    created_at: toTimestamp(m.createdAt),
    edited_at: optionalTimestamp(m.editedAt),
    deleted_at: optionalTimestamp(m.deletedAt),
    reply_to: m.replyTo,
    client_msg_id: m.clientMsgId,
    reactions: m.reactions.map((r) => ({ emoji: r.emoji, count: r.count, user_ids: r.userIds })),
    attachments: (m.attachments ?? []).map(toProtoAttachment),
    mentions: m.mentions ?? [],
    mentions_room: m.mentionsRoom === true,
  };
}

function toProtoAttachment(a: Attachment): ProtoAttachment {
  return { id: a.id, name: a.name, size: a.size, type: a.type, width: a.width, height: a.height, url: a.url };
}

export function toProtoRoom(r: Room | RoomListing) {
  const listing = r as Partial<RoomListing>;
  return {
    id: r.id,
    name: r.name,
    topic: r.topic,
    kind: r.kind,
    created_by: r.createdBy,
    created_at: toTimestamp(r.createdAt),
    last_seq: r.lastSeq,
    member_count: r.memberCount,
    unread: listing.unread ?? 0,
    joined: listing.joined ?? false,
    notify: listing.notify,
  };
}

export function toProtoMember(m: Member) {
  return { id: m.id, username: m.username, role: m.role, presence: m.presence, muted_until: optionalTimestamp(m.mutedUntil) };
}

export function toProtoJoined(joined: { room: Room; members: Member[]; messages: Message[] }) {
  return { room: toProtoRoom(joined.room), members: joined.members.map(toProtoMember), messages: joined.messages.map(toProtoMessage) };
}

type Data<T extends keyof EventDataMap> = EventDataMap[T];

const mapped = new WeakMap<object, Record<string, unknown>>();

/**
 * toProtoEvent once per event object: a room event reaches every stream of the room as the
 * same object (DoorSession parses each frame once), so it is mapped once too.
 */
export function protoEventOf(event: { type: string; data: unknown }): Record<string, unknown> {
  let proto = mapped.get(event);
  if (!proto) mapped.set(event, (proto = toProtoEvent(event.type, event.data)));
  return proto;
}

/** A server event of the protocol as a ServerEvent of the proto (the oneof's field set). */
export function toProtoEvent(type: string, data: unknown): Record<string, unknown> {
  switch (type) {
    case 'message.created':
      return { message_created: toProtoMessage(data as Message) };
    case 'message.updated':
      return { message_updated: toProtoMessage(data as Message) };
    case 'message.deleted': {
      const d = data as Data<'message.deleted'>;
      return { message_deleted: { id: d.id, room_id: d.roomId, seq: d.seq, deleted_by: d.deletedBy } };
    }
    case 'reaction.updated': {
      const d = data as Data<'reaction.updated'>;
      return { reaction_updated: { message_id: d.messageId, room_id: d.roomId, emoji: d.emoji, count: d.count, user_ids: d.userIds } };
    }
    case 'typing.updated': {
      const d = data as Data<'typing.updated'>;
      return { typing_updated: { room_id: d.roomId, user_ids: d.userIds } };
    }
    case 'presence.updated': {
      const d = data as Data<'presence.updated'>;
      return { presence_updated: { user_id: d.userId, status: d.status, last_seen_at: optionalTimestamp(d.lastSeenAt) } };
    }
    case 'room.member_joined': {
      const d = data as Data<'room.member_joined'>;
      const room = d.room ? toProtoRoom(d.room) : undefined;
      return { member_joined: { room_id: d.roomId, user: d.user, role: d.role, invited_by: d.invitedBy, room } };
    }
    case 'room.member_left': {
      const d = data as Data<'room.member_left'>;
      return { member_left: { room_id: d.roomId, user_id: d.userId, reason: d.reason, by: d.by } };
    }
    case 'read.updated': {
      const d = data as Data<'read.updated'>;
      return { read_updated: { room_id: d.roomId, user_id: d.userId, seq: d.seq } };
    }
    default:
      return { other: { type, data_json: JSON.stringify(data ?? null) } };
  }
}
