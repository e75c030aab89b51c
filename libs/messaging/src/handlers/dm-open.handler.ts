import { ChatError, dmRoomId, ErrorCode, eventFrame, OpDataOf, ServerEvent, userRef } from '@chat/protocol';
import { RoomRepository, UserRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';

/**
 * `dm.open`: the one `dm` room of a pair. Its id is derived from the pair and the gateway
 * routes by it, so both sides opening at once are serialized on one shard and the room is
 * created once. On creation both users learn of it on every device (`dm.opened`). A user who
 * left the DM and opens it again is back in it, with its history (the other side hears
 * `room.member_joined`).
 */
export class DmOpenHandler implements OpHandler<OpDataOf<'dm.open'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { userId }: OpDataOf<'dm.open'>): Promise<void> {
    if (userId === ctx.user.id) throw new ChatError(ErrorCode.BAD_REQUEST, 'open a direct message with someone else');
    const other = await this.users.findById(userId);
    if (!other) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} does not exist`);
    const roomId = dmRoomId(ctx.user.id, userId);
    const opened = await this.rooms.openDm(roomId, ctx.user, userRef(other.id, other.username));
    let { room } = opened;
    if (opened.created) {
      const frame = eventFrame(ServerEvent.DM_OPENED, { room });
      for (const id of [ctx.user.id, userId]) {
        ctx.out.chatEvent('member.joined', { roomId: room.id, userId: id });
        ctx.out.userJoinedRoom(id, room.id);
        ctx.out.toUser(id, { sub: [{ roomId: room.id, after: 0 }] }, frame);
      }
    } else if (!(await this.cache.members(roomId))?.has(ctx.user.id)) {
      room = (await this.rooms.addMember(roomId, ctx.user.id, 'member')).room;
      this.cache.joined(roomId, ctx.user.id, 'member');
      ctx.out.toRoom(roomId, eventFrame(ServerEvent.MEMBER_JOINED, { roomId, user: ctx.user, role: 'member' }));
      ctx.out.chatEvent('member.joined', { roomId, userId: ctx.user.id });
      ctx.out.userJoinedRoom(ctx.user.id, roomId);
      ctx.out.toUser(ctx.user.id, { sub: [{ roomId, after: room.lastSeq }] }, eventFrame(ServerEvent.DM_OPENED, { room }));
    }
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ room }));
  }
}
