import type { EventType } from '@chat/protocol';
import type { SessionEvent } from './chat-session';

/** A value of the schema's `RoomEvent` union: its member type's name and fields. */
export type RoomEventValue = { __typename: string } & Record<string, unknown>;

/**
 * Which server events are events of one room, as which member of the `RoomEvent` union. Typed
 * over every event, so a new event fails the build until it is placed here. `null`: not a room
 * event (`presence.updated` reaches rooms but names none: it has its own subscription).
 */
const UNION_MEMBER: Record<EventType, string | null> = {
  'message.created': 'MessageCreated',
  'message.updated': 'MessageUpdated',
  'message.deleted': 'MessageDeleted',
  'reaction.updated': 'ReactionUpdated',
  'room.member_joined': 'MemberJoined',
  'room.member_left': 'MemberLeft',
  'room.member_muted': 'MemberMuted',
  'room.member_updated': 'MemberUpdated',
  'room.ban_updated': 'BanUpdated',
  'read.updated': 'ReadUpdated',
  'typing.updated': 'TypingUpdate',
  'presence.updated': null,
  'room.created': null,
  'dm.opened': null,
  hello: null,
  pong: null,
  error: null,
};

/** The event as a `RoomEvent` of `roomId`, or undefined when it is not one. */
export function roomEventOf(event: SessionEvent, roomId: string): RoomEventValue | undefined {
  const typename = UNION_MEMBER[event.type];
  if (!typename) return undefined;
  const data = event.data as { roomId: string };
  if (data.roomId !== roomId) return undefined;
  // A message event's data is the Message itself; the union member wraps it.
  return event.type === 'message.created' || event.type === 'message.updated' ? { __typename: typename, message: data } : { __typename: typename, ...data };
}
