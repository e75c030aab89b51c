import { Message, RoomKind } from '@chat/protocol';

/** The JSON a service worker receives in its `push` event. */
export interface PushNotification {
  title: string;
  body: string;
  roomId: string;
  messageId: string;
  /** Where a click on the notification leads: the web client, at the room and message. */
  url: string;
}

/** Characters of the message shown (a notification shows two or three lines anyway). */
export const MAX_BODY_CHARS = 180;

/** The notification of one message: who wrote it (and where, outside DMs) and what it says. */
export function notificationOf(message: Message, room: { name: string; kind: RoomKind }): PushNotification {
  const author = message.author.username;
  return {
    title: room.kind === 'dm' ? author : `${author} in #${room.name}`,
    body: shortened(message.text.replace(/\s+/g, ' ').trim(), MAX_BODY_CHARS),
    roomId: message.roomId,
    messageId: message.id,
    url: `/?room=${encodeURIComponent(message.roomId)}&message=${encodeURIComponent(message.id)}`,
  };
}

/** At most `max` characters (code points, so no emoji is cut in half), with … when cut. */
export function shortened(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
