import { OpDataOf, ServerEvent, eventFrame } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireMember } from '../room-access';

/**
 * `read.mark`: moves the caller's read marker forward (never back, never past the room's
 * last seq). `read.updated` goes to the room, which includes the caller's other devices.
 */
export class ReadMarkHandler implements OpHandler<OpDataOf<'read.mark'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { roomId, seq }: OpDataOf<'read.mark'>): Promise<void> {
    await requireMember(this.cache, roomId, ctx.user.id);
    const now = (await this.rooms.markRead(roomId, ctx.user.id, seq))!;
    ctx.out.toRoom(roomId, eventFrame(ServerEvent.READ_UPDATED, { roomId, userId: ctx.user.id, seq: now }));
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ seq: now }));
  }
}
