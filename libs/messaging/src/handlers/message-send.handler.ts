import { ChatError, ErrorCode, eventFrameRaw, OpDataOf, roomOfMessageId, ServerEvent } from '@chat/protocol';
import { AppendOutcome, AttachmentRepository, isAttachmentClaimError, MessageDraft, MessageRepository, MentionDraft } from '@chat/store';
import { isFencedError, isTransientError } from '@chat/streams';
import { MembershipCache } from '../membership-cache';
import { mentionDraft } from '../mention-draft';
import { MessagingMetrics } from '../messaging.metrics';
import { failAlone, OpContext } from '../op-context';
import { parseMessageId, requireUnmuted } from '../room-access';

export interface SendItem {
  ctx: OpContext;
  data: OpDataOf<'message.send'>;
}

/** A send that passed its checks, with the mentions its author may make. */
interface AcceptedSend extends SendItem {
  mentions?: MentionDraft;
}

/**
 * `message.send`, a run of them at a time: permission checks from the membership cache,
 * then ONE fenced transaction for all accepted sends (seqs reserved per room, one multi-row
 * INSERT), then replies and `message.created` events, serialized once each. A send whose
 * (author, clientMsgId) exists gets the first message back and creates nothing; its event
 * (live, and `message.created` on the shard's event stream) is published again only when the
 * entry itself is a redelivery (its first run committed but never published). One send's own failure never touches its neighbours: a check that
 * throws, or a batch insert that fails for a reason other than the database being away,
 * leaves the others to commit and publish, and only that send is answered INTERNAL and set
 * aside on the dead-letter stream.
 *
 * Attachments: each id must be the sender's own upload, not used yet (checked before the
 * insert, for a clear refusal); the insert claims them in its own statement, which is what
 * decides. Two sends of one batch with the same upload: the first takes it, the second is
 * refused before the insert. A send of another batch (another room's shard) that won the row
 * first makes the insert fail; redone one by one, only the loser is refused (CONFLICT).
 */
export class MessageSendHandler {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cache: MembershipCache,
    private readonly metrics: MessagingMetrics,
    private readonly attachments: Pick<AttachmentRepository, 'claimStates'>,
  ) {}

  async handleBatch(items: SendItem[]): Promise<void> {
    const accepted: AcceptedSend[] = [];
    const taken = new Map<string, string>();
    for (const item of items) {
      try {
        const send = await this.accepts(item);
        if (send && this.takesAttachments(send, taken)) accepted.push(send);
      } catch (err) {
        if (isTransientError(err) || isFencedError(err)) throw err;
        this.cache.clear();
        failAlone(item.ctx, err, 'message could not be stored');
      }
    }
    if (accepted.length === 0) return;
    let outcomes: AppendOutcome[];
    try {
      // Only redelivered entries are likely to exist already; fresh ones take the one-statement path.
      const mayExist = accepted.some((item) => item.ctx.redelivered);
      outcomes = await this.messages.appendBatch(accepted.map(toDraft), { mayExist, fence: accepted[0].ctx.fence });
    } catch (err) {
      if (isTransientError(err) || isFencedError(err)) throw err;
      // One bad draft must not fail its neighbours: redo them one by one.
      for (const item of accepted) await this.handleOne(item);
      return;
    }
    accepted.forEach((item, i) => this.publish(item, outcomes[i]));
    this.metrics.batchSize.observe(accepted.length);
  }

  private async handleOne(item: AcceptedSend): Promise<void> {
    try {
      const [outcome] = await this.messages.appendBatch([toDraft(item)], { fence: item.ctx.fence });
      this.publish(item, outcome);
    } catch (err) {
      if (isTransientError(err) || isFencedError(err)) throw err;
      if (isAttachmentClaimError(err)) {
        item.ctx.out.replyError(item.ctx.env, item.ctx.ref, {
          code: ErrorCode.CONFLICT,
          message: 'an attachment of this message was used by another message first',
        });
        return;
      }
      failAlone(item.ctx, err, 'message could not be stored');
    }
  }

  /**
   * Records the uploads `send` takes in this batch (`taken`: upload id → the send holding
   * it); false, and the send is refused, when an earlier send of the batch holds one of them.
   * A repeat of the same send (same author and clientMsgId) is the same send, not a rival.
   */
  private takesAttachments(send: AcceptedSend, taken: Map<string, string>): boolean {
    const ids = send.data.attachments ?? [];
    const key = `${send.ctx.user.id}\u0000${send.data.clientMsgId}`;
    const held = ids.find((id) => (taken.get(id) ?? key) !== key);
    if (held !== undefined) {
      send.ctx.out.replyError(send.ctx.env, send.ctx.ref, {
        code: ErrorCode.CONFLICT,
        message: `attachment ${held} is already used by another message`,
      });
      return false;
    }
    for (const id of ids) taken.set(id, key);
    return true;
  }

  /** The send as it goes to the insert; undefined when it was answered (refused) already. */
  private async accepts(item: SendItem): Promise<AcceptedSend | undefined> {
    try {
      return { ...item, mentions: await this.check(item) };
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      // A clientMsgId already stored returns its message whatever changed since (PROTOCOL.md).
      if (await this.messages.findByClientMsgId(item.ctx.user.id, item.data.clientMsgId)) return item;
      item.ctx.out.replyError(item.ctx.env, item.ctx.ref, err.toBody());
      return undefined;
    }
  }

  private async check({ ctx, data }: SendItem): Promise<MentionDraft> {
    const author = await requireUnmuted(this.cache, data.roomId, ctx.user.id);
    if (data.replyTo !== undefined) await this.checkReplyTo(data.roomId, data.replyTo);
    if (data.attachments?.length) await this.checkAttachments(ctx.user.id, data.attachments);
    return mentionDraft(data.text, author);
  }

  /** Every id is an upload of the sender's that no message has taken yet. */
  private async checkAttachments(userId: string, ids: string[]): Promise<void> {
    const states = await this.attachments.claimStates(ids);
    for (const id of ids) {
      const state = states.get(id);
      if (!state) throw new ChatError(ErrorCode.NOT_FOUND, `attachment ${id} does not exist`);
      if (state.ownerId !== userId) throw new ChatError(ErrorCode.FORBIDDEN, `attachment ${id} is not your upload`);
      if (state.used) throw new ChatError(ErrorCode.CONFLICT, `attachment ${id} is already used by another message`);
    }
  }

  /** A reply must point at a live message of the same room. */
  private async checkReplyTo(roomId: string, replyTo: string): Promise<void> {
    if (roomOfMessageId(replyTo) !== roomId) {
      throw new ChatError(ErrorCode.BAD_REQUEST, `replyTo ${replyTo} is not a message of room ${roomId}`);
    }
    const target = await this.messages.find(roomId, parseMessageId(replyTo).seq);
    if (!target || target.deletedAt) throw new ChatError(ErrorCode.NOT_FOUND, `message ${replyTo} does not exist`);
  }

  private publish({ ctx }: SendItem, { message, created }: AppendOutcome): void {
    const json = JSON.stringify(message);
    ctx.out.replyOk(ctx.env, ctx.ref, `{"message":${json}}`);
    if (created || ctx.redelivered) {
      ctx.out.toRoom(message.roomId, eventFrameRaw(ServerEvent.MESSAGE_CREATED, json), message.seq);
      ctx.out.chatEvent('message.created', { message });
    }
    if (created) this.metrics.messagesStored.inc();
  }
}

function toDraft({ ctx, data, mentions }: AcceptedSend): MessageDraft {
  return {
    roomId: data.roomId,
    authorId: ctx.user.id,
    authorName: ctx.user.username,
    text: data.text,
    clientMsgId: data.clientMsgId,
    replyTo: data.replyTo,
    mentions,
    attachmentIds: data.attachments,
  };
}
