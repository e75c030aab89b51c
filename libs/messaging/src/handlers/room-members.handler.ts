import { OpDataOf } from '@chat/protocol';
import { MemberList } from '../member-list';
import { Membership } from '../membership';
import { OpContext, OpHandler } from '../op-context';
import { requireMember } from '../room-access';

/** `room.members`: members only, each with role and presence. */
export class RoomMembersHandler implements OpHandler<OpDataOf<'room.members'>> {
  constructor(
    private readonly cache: Membership,
    private readonly memberList: MemberList,
  ) {}

  async handle(ctx: OpContext, { roomId }: OpDataOf<'room.members'>): Promise<void> {
    await requireMember(this.cache, roomId, ctx.user.id);
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ members: await this.memberList.of(roomId) }));
  }
}
