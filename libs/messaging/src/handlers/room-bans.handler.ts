import { ChatError, ErrorCode, OpDataOf } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { Membership } from '../membership';
import { OpContext, OpHandler } from '../op-context';
import { canModerate, requireMember } from '../room-access';

/** `room.bans`: the room's bans, for its moderators and owner (who may lift them). */
export class RoomBansHandler implements OpHandler<OpDataOf<'room.bans'>> {
  constructor(
    private readonly membership: Membership,
    private readonly rooms: RoomRepository,
  ) {}

  async handle(ctx: OpContext, { roomId }: OpDataOf<'room.bans'>): Promise<void> {
    const me = await requireMember(this.membership, roomId, ctx.user.id);
    if (!canModerate(me)) throw new ChatError(ErrorCode.FORBIDDEN, 'only moderators and the owner see the bans');
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ bans: await this.rooms.bans(roomId) }));
  }
}
