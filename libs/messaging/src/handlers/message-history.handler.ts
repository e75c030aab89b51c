import { ChatError, DEFAULT_HISTORY_LIMIT, ErrorCode, OpDataOf } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { Membership } from '../membership';
import { OpContext, OpHandler } from '../op-context';
import { parseMessageId, requireMember } from '../room-access';

/**
 * `message.history`: a page before `beforeSeq` (or the latest), oldest first. With
 * `threadOf`, the page is that message's replies and the reply carries the root as `root`.
 */
export class MessageHistoryHandler implements OpHandler<OpDataOf<'message.history'>> {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: Membership,
  ) {}

  async handle(ctx: OpContext, data: OpDataOf<'message.history'>): Promise<void> {
    await requireMember(this.cache, data.roomId, ctx.user.id);
    const limit = data.limit ?? DEFAULT_HISTORY_LIMIT;
    if (data.threadOf === undefined) {
      const page = await this.messages.history(data.roomId, data.beforeSeq, limit);
      return ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify(page));
    }
    const { roomId, seq } = parseMessageId(data.threadOf);
    const root = roomId === data.roomId ? await this.messages.find(roomId, seq) : undefined;
    if (!root) throw new ChatError(ErrorCode.NOT_FOUND, `message ${data.threadOf} is not in room ${data.roomId}`);
    const page = await this.messages.thread(roomId, root.id, data.beforeSeq, limit);
    ctx.out.replyOk(ctx.env, ctx.ref, JSON.stringify({ ...page, root }));
  }
}
