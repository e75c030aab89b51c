import { OpDataOf } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireMember } from '../room-access';

/** `notify.set`: the caller's push notification level for a room they are in. */
export class NotifySetHandler implements OpHandler<OpDataOf<'notify.set'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId, level }: OpDataOf<'notify.set'>): Promise<void> {
    await requireMember(this.cache, roomId, ctx.user.id);
    await this.rooms.setNotifyLevel(roomId, ctx.user.id, level);
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ roomId, level }));
  }
}
