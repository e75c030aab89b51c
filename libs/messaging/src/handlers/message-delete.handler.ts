import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { canModerate, parseMessageId, requireUnmuted } from '../room-access';

/**
 * `message.delete`: the author, or a moderator/owner of the room. The message becomes a
 * tombstone (its seq stays, its text goes everywhere, history included).
 */
export class MessageDeleteHandler implements OpHandler<OpDataOf<'message.delete'>> {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { messageId }: OpDataOf<'message.delete'>): Promise<void> {
    const { roomId, seq } = parseMessageId(messageId);
    const me = await requireUnmuted(this.cache, roomId, ctx.user.id);
    const current = await this.messages.find(roomId, seq);
    // Redelivered and already a tombstone: the first run may have died before publishing.
    const republish = ctx.redelivered && current?.deletedAt && current.author.id === ctx.user.id;
    if (!current || (current.deletedAt && !republish)) throw new ChatError(ErrorCode.NOT_FOUND, `message ${messageId} does not exist`);
    if (current.author.id !== ctx.user.id && !canModerate(me)) {
      throw new ChatError(ErrorCode.FORBIDDEN, 'only the author or a moderator can delete a message');
    }
    if (!republish) await this.messages.softDelete(roomId, seq);
    ctx.out.toRoom(roomId, eventFrame(ServerEvent.MESSAGE_DELETED, { id: messageId, roomId, seq, deletedBy: ctx.user.id }));
    ctx.out.chatEvent('message.deleted', { roomId, seq, id: messageId });
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
