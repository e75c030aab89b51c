import { ChatError, ErrorCode, eventFrameRaw, OpDataOf, ServerEvent } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { mentionDraft } from '../mention-draft';
import { OpContext, OpHandler } from '../op-context';
import { parseMessageId, requireUnmuted } from '../room-access';

/** `message.edit`: the author alone, on a live message; the room gets the whole new message. */
export class MessageEditHandler implements OpHandler<OpDataOf<'message.edit'>> {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
  ) {}

  async handle(ctx: OpContext, { messageId, text }: OpDataOf<'message.edit'>): Promise<void> {
    const { roomId, seq } = parseMessageId(messageId);
    const author = await requireUnmuted(this.cache, roomId, ctx.user.id);
    const current = await this.messages.find(roomId, seq);
    if (!current || current.deletedAt) throw new ChatError(ErrorCode.NOT_FOUND, `message ${messageId} does not exist`);
    if (current.author.id !== ctx.user.id) throw new ChatError(ErrorCode.FORBIDDEN, 'only the author can edit a message');
    const edited = (await this.messages.edit(roomId, seq, text, mentionDraft(text, author)))!;
    const json = JSON.stringify(edited);
    ctx.out.toRoom(roomId, eventFrameRaw(ServerEvent.MESSAGE_UPDATED, json));
    ctx.out.chatEvent('message.updated', { message: edited });
    ctx.out.replyOk(ctx.env, ctx.ref, `{"message":${json}}`);
  }
}
