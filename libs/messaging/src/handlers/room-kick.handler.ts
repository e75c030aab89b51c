import { ChatError, ErrorCode, OpDataOf } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireModeratorOver } from '../room-access';
import { announceDeparture } from '../room-departure';

/** `room.kick`: a moderator removes a lower-ranked member, who may join again (unlike a ban). */
export class RoomKickHandler implements OpHandler<OpDataOf<'room.kick'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId, userId }: OpDataOf<'room.kick'>): Promise<void> {
    const target = await requireModeratorOver(this.cache, roomId, ctx.user.id, userId);
    if (!target) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} is not a member of room ${roomId}`);
    await this.rooms.removeMember(roomId, userId);
    announceDeparture(ctx.out, this.cache, roomId, userId, 'kicked', ctx.user.id);
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
