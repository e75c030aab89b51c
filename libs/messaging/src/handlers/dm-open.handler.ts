import { ChatError, dmRoomId, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { RoomRepository, UserRepository } from '@chat/store';
import { OpContext, OpHandler } from '../op-context';

/**
 * `dm.open`: the one `dm` room of a pair. Its id is derived from the pair and the gateway
 * routes by it, so both sides opening at once are serialized on one shard and the room is
 * created once. On creation both users learn of it on every device (`dm.opened`).
 */
export class DmOpenHandler implements OpHandler<OpDataOf<'dm.open'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
  ) {}

  async handle(ctx: OpContext, { userId }: OpDataOf<'dm.open'>): Promise<void> {
    if (userId === ctx.user.id) throw new ChatError(ErrorCode.BAD_REQUEST, 'open a direct message with someone else');
    const other = await this.users.findById(userId);
    if (!other) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} does not exist`);
    const { room, created } = await this.rooms.openDm(dmRoomId(ctx.user.id, userId), ctx.user, {
      id: other.id,
      username: other.username,
    });
    if (created) {
      const frame = eventFrame(ServerEvent.DM_OPENED, { room });
      for (const id of [ctx.user.id, userId]) {
        ctx.out.userJoinedRoom(id, room.id);
        ctx.out.toUser(id, { sub: [{ roomId: room.id, after: 0 }] }, frame);
      }
    }
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ room }));
  }
}
