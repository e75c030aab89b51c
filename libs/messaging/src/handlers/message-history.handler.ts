import { DEFAULT_HISTORY_LIMIT, OpDataOf } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { requireMember } from '../room-access';

/** `message.history`: a page before `beforeSeq` (or the latest), oldest first. */
export class MessageHistoryHandler implements OpHandler<OpDataOf<'message.history'>> {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, data: OpDataOf<'message.history'>): Promise<void> {
    await requireMember(this.cache, data.roomId, ctx.user.id);
    const page = await this.messages.history(data.roomId, data.beforeSeq, data.limit ?? DEFAULT_HISTORY_LIMIT);
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify(page));
  }
}
