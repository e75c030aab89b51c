import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent, userRef } from '@chat/protocol';
import { RoomRepository, UserRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { admitMember } from '../room-admission';
import { requireUnmuted } from '../room-access';

/**
 * `room.invite`: any member adds another user (the way into a private room). The room hears
 * `room.member_joined`; the invitee hears it on every device through `user:{id}` (with the
 * room, since they could not see it before) and their sockets subscribe to the room.
 */
export class RoomInviteHandler implements OpHandler<OpDataOf<'room.invite'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
    private readonly cache: MembershipCache,
    private readonly maxMembers: number,
  ) {}

  async handle(ctx: OpContext, { roomId, userId }: OpDataOf<'room.invite'>): Promise<void> {
    await requireUnmuted(this.cache, roomId, ctx.user.id);
    const room = (await this.rooms.findById(roomId))!;
    if (room.kind === 'dm') throw new ChatError(ErrorCode.BAD_REQUEST, 'a direct message has exactly two members');
    const invitee = await this.users.findById(userId);
    if (!invitee) throw new ChatError(ErrorCode.NOT_FOUND, `user ${userId} does not exist`);
    if ((await this.cache.members(roomId))!.has(userId)) return ctx.out.replyOk(ctx.env, ctx.ref);

    const after = await admitMember(this.rooms, this.cache, room, userId, this.maxMembers);
    const user = userRef(invitee.id, invitee.username);
    ctx.out.toRoom(roomId, eventFrame(ServerEvent.MEMBER_JOINED, { roomId, user, role: 'member', invitedBy: ctx.user.id }));
    ctx.out.chatEvent('member.joined', { roomId, userId });
    ctx.out.userJoinedRoom(userId, roomId);
    ctx.out.toUser(
      userId,
      { sub: [{ roomId, after: after.lastSeq }] },
      eventFrame(ServerEvent.MEMBER_JOINED, { roomId, user, role: 'member', invitedBy: ctx.user.id, room: after }),
    );
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
