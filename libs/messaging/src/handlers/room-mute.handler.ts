import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireModeratorOver } from '../room-access';

type MuteData = OpDataOf<'room.mute'> | OpDataOf<'room.unmute'>;

/**
 * `room.mute` (for `durationMs`) and `room.unmute`: a muted member stays in the room and
 * reads, but a send is FORBIDDEN with `retryAfterMs` until the mute ends. The room hears
 * `room.member_muted` with `until` (null when lifted).
 */
export class RoomMuteHandler implements OpHandler<MuteData> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, data: MuteData): Promise<void> {
    const target = await requireModeratorOver(this.cache, data.roomId, ctx.user.id, data.userId);
    if (!target) throw new ChatError(ErrorCode.NOT_FOUND, `user ${data.userId} is not a member of room ${data.roomId}`);
    const until = 'durationMs' in data ? new Date(Date.now() + data.durationMs) : null;
    await this.rooms.setMute(data.roomId, data.userId, until);
    this.cache.update(data.roomId, data.userId, { mutedUntil: until?.getTime() ?? null });
    const event = { roomId: data.roomId, userId: data.userId, until: until?.toISOString() ?? null, by: ctx.user.id };
    ctx.out.toRoom(data.roomId, eventFrame(ServerEvent.MEMBER_MUTED, event));
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ until: event.until }));
  }
}
