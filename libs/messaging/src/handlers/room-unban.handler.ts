import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireModeratorOver } from '../room-access';

/** `room.unban`: lets a banned user join (or be invited) again; the room hears `room.ban_updated`. */
export class RoomUnbanHandler implements OpHandler<OpDataOf<'room.unban'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId, userId }: OpDataOf<'room.unban'>): Promise<void> {
    await requireModeratorOver(this.cache, roomId, ctx.user.id, userId);
    if (!(await this.rooms.unban(roomId, userId))) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} is not banned here`);
    ctx.out.toRoom(roomId, eventFrame(ServerEvent.BAN_UPDATED, { roomId, userId, banned: false, by: ctx.user.id }));
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
