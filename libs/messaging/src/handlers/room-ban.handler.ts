import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { RoomRepository, UserRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireModeratorOver } from '../room-access';
import { announceDeparture } from '../room-departure';

/**
 * `room.ban`: a moderator removes a user (member or not) and keeps them out: a banned user
 * cannot join, be invited, or send until `room.unban`. The room hears `room.ban_updated`
 * (and `room.member_left` when they were a member).
 */
export class RoomBanHandler implements OpHandler<OpDataOf<'room.ban'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId, userId, reason }: OpDataOf<'room.ban'>): Promise<void> {
    const target = await requireModeratorOver(this.cache, roomId, ctx.user.id, userId);
    if (!target && !(await this.users.findById(userId))) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} does not exist`);
    await this.rooms.ban(roomId, userId, ctx.user.id, reason ?? '');
    if (target) announceDeparture(ctx.out, this.cache, roomId, userId, 'banned', ctx.user.id);
    ctx.out.toRoom(roomId, eventFrame(ServerEvent.BAN_UPDATED, { roomId, userId, banned: true, by: ctx.user.id }));
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
