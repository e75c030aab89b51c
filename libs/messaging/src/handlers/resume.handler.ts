import { OpDataOf } from '@chat/protocol';
import { MessageRepository, RoomRepository } from '@chat/store';
import { OpContext, OpHandler } from '../op-context';
import { replayMissed } from '../replay';

/**
 * `resume`: replays `message.created` for seq > lastSeen in each of the caller's rooms, then
 * replies `{replayed, truncated, forbidden}`. A room with more than `limit` missed messages
 * gets its newest `limit` and is listed in `truncated` (page back with history). Rooms the
 * caller is not a member of are skipped and listed in `forbidden`. Read-only, so it runs
 * on the caller's shard whatever rooms it names.
 */
export class ResumeHandler implements OpHandler<OpDataOf<'resume'>> {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly messages: MessageRepository,
    private readonly limit: number,
  ) {}

  async handle(ctx: OpContext, data: OpDataOf<'resume'>): Promise<void> {
    const mine = new Set(await this.rooms.roomIdsOf(ctx.user.id));
    let replayed = 0;
    const truncated: string[] = [];
    const forbidden: string[] = [];
    for (const [roomId, lastSeen] of Object.entries(data.rooms)) {
      if (!mine.has(roomId)) {
        forbidden.push(roomId);
        continue;
      }
      const r = await replayMissed(this.messages, ctx.out, ctx.env, roomId, lastSeen, this.limit);
      replayed += r.replayed;
      if (r.truncated) truncated.push(roomId);
    }
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ replayed, truncated, forbidden }));
  }
}
