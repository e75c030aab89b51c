import { eventFrame, ServerEvent } from '@chat/protocol';
import { MembershipCache } from './membership-cache';
import { ChatEffects } from '@chat/streams';

export type DepartureReason = 'left' | 'kicked' | 'banned';

/**
 * What every way out of a room (leave, kick, ban) makes visible, after the membership row is
 * gone: the room hears `room.member_left` first (the leaver's sockets included) and the
 * shard's event stream gets `member.left`, then every connection of the user unsubscribes and
 * the room leaves their Redis room set.
 */
export function announceDeparture(
  out: ChatEffects,
  cache: MembershipCache,
  roomId: string,
  userId: string,
  reason: DepartureReason,
  by?: string,
): void {
  cache.left(roomId, userId);
  out.toRoom(roomId, eventFrame(ServerEvent.MEMBER_LEFT, by ? { roomId, userId, reason, by } : { roomId, userId, reason }));
  out.chatEvent('member.left', { roomId, userId, reason });
  out.userLeftRoom(userId, roomId);
  out.toUser(userId, { unsub: [roomId] });
}
