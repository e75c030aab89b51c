import { Attachment, attachmentPath, Message, messageId, Room, RoomKind, userRef } from '@chat/protocol';

/** Row → object mappers. Both engines may return timestamps as Date or string. */
export function iso(value: unknown): string {
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

export interface RoomRow {
  id: string;
  name: string;
  topic: string;
  kind: RoomKind;
  created_by: string;
  created_at: Date | string;
  last_seq: number;
  member_count: number;
}

export const ROOM_COLUMNS = 'r.id, r.name, r.topic, r.kind, r.created_by, r.created_at, r.last_seq, r.member_count';

export function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    name: row.name,
    topic: row.topic,
    kind: row.kind,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    lastSeq: Number(row.last_seq),
    memberCount: Number(row.member_count),
  };
}

export interface MessageRow {
  room_id: string;
  seq: number;
  author_id: string;
  author_name: string;
  text: string;
  client_msg_id: string | null;
  reply_to: string | null;
  created_at: Date | string;
  edited_at: Date | string | null;
  deleted_at: Date | string | null;
  mentions: string[];
  mentions_room: boolean;
  attachments: StoredAttachment[];
}

/** An attachment as `messages.attachments` keeps it (JSON): the Message's without its url. */
export type StoredAttachment = Omit<Attachment, 'url'>;

export const MESSAGE_COLUMNS =
  'm.room_id, m.seq, m.author_id, m.author_name, m.text, m.client_msg_id, m.reply_to, m.created_at, m.edited_at, m.deleted_at, m.mentions, m.mentions_room, m.attachments';

export function toAttachment(stored: StoredAttachment): Attachment {
  return { ...stored, url: attachmentPath(stored.id) };
}

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: messageId(row.room_id, Number(row.seq)),
    roomId: row.room_id,
    seq: Number(row.seq),
    author: userRef(row.author_id, row.author_name),
    text: row.deleted_at ? '' : row.text,
    createdAt: iso(row.created_at),
    reactions: [],
    attachments: row.deleted_at ? [] : row.attachments.map(toAttachment),
  };
  if (row.edited_at) message.editedAt = iso(row.edited_at);
  if (row.deleted_at) message.deletedAt = iso(row.deleted_at);
  if (row.reply_to) message.replyTo = row.reply_to;
  if (row.client_msg_id) message.clientMsgId = row.client_msg_id;
  if (!row.deleted_at) {
    if (row.mentions?.length) message.mentions = row.mentions;
    if (row.mentions_room) message.mentionsRoom = true;
  }
  return message;
}
