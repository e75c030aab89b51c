import { OpDataOf } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireMember } from '../room-access';
import { announceDeparture } from '../room-departure';

/** `room.leave`: the room hears it first, then every connection of the user unsubscribes. */
export class RoomLeaveHandler implements OpHandler<OpDataOf<'room.leave'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId }: OpDataOf<'room.leave'>): Promise<void> {
    await requireMember(this.cache, roomId, ctx.user.id);
    await this.rooms.removeMember(roomId, ctx.user.id);
    announceDeparture(ctx.out, this.cache, roomId, ctx.user.id, 'left');
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
