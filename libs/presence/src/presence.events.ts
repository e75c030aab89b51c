import { eventFrame, PresenceStatus, ServerEvent } from '@chat/protocol';
import { USER_ROOMS_LOADED } from '@chat/redis';
import { ChatEffects } from '@chat/streams';

/**
 * The two events presence publishes, each serialized once however many rooms and sockets
 * receive it. Events carry the whole current state (status, every typer), so a duplicate
 * (a redelivered entry) is harmless: the client simply sees the same state again.
 */

/** `presence.updated` to every room of the user and to all of the user's own devices. */
export function publishPresence(
  out: ChatEffects,
  update: { userId: string; status: PresenceStatus; lastSeenMs: number; rooms: string[] },
): void {
  const frame = eventFrame(ServerEvent.PRESENCE_UPDATED, {
    userId: update.userId,
    status: update.status,
    lastSeenAt: new Date(update.lastSeenMs).toISOString(),
  });
  for (const roomId of update.rooms) if (roomId !== USER_ROOMS_LOADED) out.toRoom(roomId, frame);
  out.toUser(update.userId, {}, frame);
}

/** `typing.updated` with everyone typing in the room now, in order of their latest typing.start. */
export function publishTyping(out: ChatEffects, roomId: string, userIds: string[]): void {
  out.toRoom(roomId, eventFrame(ServerEvent.TYPING_UPDATED, { roomId, userIds }));
}
