import { ChatError, ErrorCode, MemberRole, roomOfMessageId } from '@chat/protocol';
import { MemberState } from '@chat/store';
import { Membership } from './membership';

const RANK: Record<MemberRole, number> = { member: 0, moderator: 1, owner: 2 };

/** The caller's membership; NOT_FOUND when the room does not exist, FORBIDDEN when not a member. */
export async function requireMember(cache: Membership, roomId: string, userId: string): Promise<MemberState> {
  const members = await cache.members(roomId);
  if (!members) throw new ChatError(ErrorCode.NOT_FOUND, `room ${roomId} does not exist`);
  const state = members.get(userId);
  if (!state) throw new ChatError(ErrorCode.FORBIDDEN, `you are not a member of room ${roomId}`);
  return state;
}

/**
 * A moderation act of `actorId` on `targetId`: the actor must be a moderator or the owner
 * and outrank the target when the target is a member. Returns the target's membership.
 */
export async function requireModeratorOver(
  cache: Membership,
  roomId: string,
  actorId: string,
  targetId: string,
): Promise<MemberState | undefined> {
  const actor = await requireMember(cache, roomId, actorId);
  if (RANK[actor.role] < RANK.moderator) throw new ChatError(ErrorCode.FORBIDDEN, 'only moderators and the owner may do that');
  if (actorId === targetId) throw new ChatError(ErrorCode.BAD_REQUEST, 'you cannot do that to yourself');
  const target = (await cache.members(roomId))!.get(targetId);
  if (target && RANK[target.role] >= RANK[actor.role]) {
    throw new ChatError(ErrorCode.FORBIDDEN, `a ${actor.role} cannot act on a ${target.role}`);
  }
  return target;
}

/**
 * The caller's membership, for any write that others see (send, edit, delete, react,
 * invite): FORBIDDEN while muted, with retryAfterMs until the mute ends.
 */
export async function requireUnmuted(cache: Membership, roomId: string, userId: string, now = Date.now()): Promise<MemberState> {
  const me = await requireMember(cache, roomId, userId);
  if (me.mutedUntil !== null && me.mutedUntil > now) {
    const until = new Date(me.mutedUntil).toISOString();
    throw new ChatError(ErrorCode.FORBIDDEN, `you are muted in this room until ${until}`, me.mutedUntil - now);
  }
  return me;
}

export function canModerate(state: MemberState): boolean {
  return RANK[state.role] >= RANK.moderator;
}

/** Room and seq of a message id; NOT_FOUND when it is not one of ours. */
export function parseMessageId(id: string): { roomId: string; seq: number } {
  const roomId = roomOfMessageId(id);
  const seq = Number(id.slice((roomId?.length ?? 0) + 1));
  if (!roomId || !Number.isInteger(seq) || seq < 1) throw new ChatError(ErrorCode.NOT_FOUND, `message ${id} does not exist`);
  return { roomId, seq };
}
