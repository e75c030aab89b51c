import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireMember } from '../room-access';

/** `room.set_role`: the owner makes a member a moderator or back; the room hears `room.member_updated`. */
export class RoomSetRoleHandler implements OpHandler<OpDataOf<'room.set_role'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId, userId, role }: OpDataOf<'room.set_role'>): Promise<void> {
    const me = await requireMember(this.cache, roomId, ctx.user.id);
    if (me.role !== 'owner') throw new ChatError(ErrorCode.FORBIDDEN, 'only the owner can change roles');
    const target = (await this.cache.members(roomId))!.get(userId);
    if (!target) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} is not a member of room ${roomId}`);
    if (target.role === 'owner') throw new ChatError(ErrorCode.FORBIDDEN, 'the owner keeps their role');
    await this.rooms.setRole(roomId, userId, role);
    this.cache.update(roomId, userId, { role });
    ctx.out.toRoom(roomId, eventFrame(ServerEvent.MEMBER_UPDATED, { roomId, userId, role }));
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
