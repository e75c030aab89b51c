import { ChatError, ErrorCode, eventFrame, JOIN_HISTORY_LIMIT, OpDataOf, ServerEvent } from '@chat/protocol';
import { MessageRepository, RoomRepository } from '@chat/store';
import { MemberList } from '../member-list';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { admitMember } from '../room-admission';

/**
 * `room.join`: public rooms are open; other kinds need an existing membership (invite);
 * banned users stay out; a full room answers ROOM_FULL. Every connection of the user
 * subscribes to the room (a `sub` control on `user:{id}`) and asks for what was sent after
 * the snapshot in the reply, so nothing falls between them.
 */
export class RoomJoinHandler implements OpHandler<OpDataOf<'room.join'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
    private readonly memberList: MemberList,
    private readonly maxMembers: number,
  ) {}

  async handle(ctx: OpContext, { roomId }: OpDataOf<'room.join'>): Promise<void> {
    const members = await this.cache.members(roomId);
    const existing = await this.rooms.findById(roomId);
    if (!members || !existing) throw new ChatError(ErrorCode.NOT_FOUND, `room ${roomId} does not exist`);
    let room = existing;
    if (!members.has(ctx.user.id)) {
      if (existing.kind !== 'public') throw new ChatError(ErrorCode.FORBIDDEN, `room ${roomId} is private: a member must invite you`);
      room = await admitMember(this.rooms, this.cache, existing, ctx.user.id, this.maxMembers);
      ctx.out.toRoom(roomId, eventFrame(ServerEvent.MEMBER_JOINED, { roomId, user: ctx.user, role: 'member' }));
      ctx.out.chatEvent('member.joined', { roomId, userId: ctx.user.id });
    }
    const [memberList, history] = await Promise.all([
      this.memberList.of(roomId),
      this.messages.history(roomId, undefined, JOIN_HISTORY_LIMIT),
    ]);
    const lastSeq = history.messages.at(-1)?.seq ?? room.lastSeq;
    ctx.out.userJoinedRoom(ctx.user.id, roomId);
    ctx.out.toUser(ctx.user.id, { sub: [{ roomId, after: lastSeq }] });
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ room, members: memberList, messages: history.messages }));
  }
}
