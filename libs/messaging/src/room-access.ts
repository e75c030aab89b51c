import { ChatError, ErrorCode, MemberRole } from '@chat/protocol';
import { MembershipCache } from './membership-cache';

/** The caller's role in a room; NOT_FOUND when the room does not exist, FORBIDDEN when not a member. */
export async function requireMember(cache: MembershipCache, roomId: string, userId: string): Promise<MemberRole> {
  const roles = await cache.roles(roomId);
  if (!roles) throw new ChatError(ErrorCode.NOT_FOUND, `room ${roomId} does not exist`);
  const role = roles.get(userId);
  if (!role) throw new ChatError(ErrorCode.FORBIDDEN, `you are not a member of room ${roomId}`);
  return role;
}
