import { ChatError, ErrorCode, eventFrame, JOIN_HISTORY_LIMIT, OpDataOf, ServerEvent } from '@chat/protocol';
import { MessageRepository, RoomRepository } from '@chat/store';
import { MemberList } from '../member-list';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';

/**
 * `room.join`: public rooms are open; other kinds need an existing membership (invite).
 * Every connection of the user subscribes to the room (a `sub` control on `user:{id}`) and
 * asks for what was sent after the snapshot in the reply, so nothing falls between them.
 */
export class RoomJoinHandler implements OpHandler<OpDataOf<'room.join'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
    private readonly memberList: MemberList,
  ) {}

  async handle(ctx: OpContext, { roomId }: OpDataOf<'room.join'>): Promise<void> {
    const roles = await this.cache.roles(roomId);
    const existing = await this.rooms.findById(roomId);
    if (!roles || !existing) throw new ChatError(ErrorCode.NOT_FOUND, `room ${roomId} does not exist`);
    const isMember = roles.has(ctx.user.id);
    if (!isMember && existing.kind !== 'public') {
      throw new ChatError(ErrorCode.FORBIDDEN, `room ${roomId} is private: a member must invite you`);
    }
    const { added, room } = isMember
      ? { added: false, room: existing }
      : await this.rooms.addMember(roomId, ctx.user.id, 'member');
    this.cache.joined(roomId, ctx.user.id, roles.get(ctx.user.id) ?? 'member');

    const [members, history] = await Promise.all([
      this.memberList.of(roomId),
      this.messages.history(roomId, undefined, JOIN_HISTORY_LIMIT),
    ]);
    const lastSeq = history.messages.at(-1)?.seq ?? room.lastSeq;
    if (added) {
      ctx.out.toRoom(
        roomId,
        eventFrame(ServerEvent.MEMBER_JOINED, { roomId, user: { id: ctx.user.id, username: ctx.user.username }, role: 'member' }),
      );
    }
    ctx.out.userJoinedRoom(ctx.user.id, roomId);
    ctx.out.toUser(ctx.user.id, { sub: [{ roomId, after: lastSeq }] });
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ room, members, messages: history.messages }));
  }
}
