import { ChatError, ErrorCode, eventFrame, OpDataOf, ServerEvent } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { MembershipCache } from '../membership-cache';
import { OpContext, OpHandler } from '../op-context';
import { parseMessageId, requireUnmuted } from '../room-access';

type ReactionData = OpDataOf<'reaction.add'>;

/**
 * `reaction.add` / `reaction.remove` (one instance each): one reaction per user, message and
 * emoji; the room gets the emoji's new count and users. Repeating an add (or a remove of
 * nothing) answers ok and publishes nothing. A muted member cannot react.
 */
export class ReactionHandler implements OpHandler<ReactionData> {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
    private readonly add: boolean,
  ) {}

  async handle(ctx: OpContext, { messageId, emoji }: ReactionData): Promise<void> {
    const { roomId, seq } = parseMessageId(messageId);
    await requireUnmuted(this.cache, roomId, ctx.user.id);
    const message = await this.messages.find(roomId, seq);
    if (!message || message.deletedAt) throw new ChatError(ErrorCode.NOT_FOUND, `message ${messageId} does not exist`);
    const { changed, userIds } = await this.messages.react(roomId, seq, ctx.user.id, emoji, this.add);
    // Redelivered: the first run may have changed it and never published; the event carries the whole state.
    if (changed || ctx.redelivered) {
      ctx.out.toRoom(roomId, eventFrame(ServerEvent.REACTION_UPDATED, { messageId, roomId, emoji, count: userIds.length, userIds }));
      ctx.out.chatEvent(this.add ? 'reaction.added' : 'reaction.removed', { roomId, seq, messageId, emoji, userId: ctx.user.id });
    }
    ctx.out.replyOk(ctx.env, ctx.ref);
  }
}
