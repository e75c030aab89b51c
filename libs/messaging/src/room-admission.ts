import { ChatError, ErrorCode, Room } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from './membership-cache';

/**
 * Adds a member through the checks every way in shares (join, invite): not banned, room not
 * full. Returns the room as it stands after the insert.
 */
export async function admitMember(
  rooms: RoomRepository,
  cache: MembershipCache,
  room: Room,
  userId: string,
  maxMembers: number,
): Promise<Room> {
  if (await rooms.isBanned(room.id, userId)) throw new ChatError(ErrorCode.FORBIDDEN, `banned from room ${room.id}`);
  if (room.memberCount >= maxMembers) throw new ChatError(ErrorCode.ROOM_FULL, `room ${room.id} has reached ${maxMembers} members`);
  const { room: after } = await rooms.addMember(room.id, userId, 'member');
  cache.joined(room.id, userId, 'member');
  return after;
}
