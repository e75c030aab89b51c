import { ChatEventOf, ChatEventType } from '@chat/protocol';
import { streamContext } from '@chat/stream-transport';
import { WebhookDispatcher, webhookEvent, webhookEventId } from '@chat/webhooks';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';

export const WEBHOOK_DISPATCHER = Symbol('WebhookDispatcher');

/**
 * Every event type of `chat:events:{shard}` goes to the room's webhooks that want it
 * (WEBHOOK_EVENT_TYPES are those types). Enqueueing is idempotent: the event's id comes from
 * its stream entry, the same when the transport delivers it again.
 */
@Controller()
export class WebhookEventsController {
  constructor(@Inject(WEBHOOK_DISPATCHER) private readonly dispatcher: WebhookDispatcher) {}

  @EventPattern('message.created')
  created(@Payload() data: ChatEventOf<'message.created'>, @Ctx() ctx: unknown) {
    return this.dispatch('message.created', data, ctx);
  }

  @EventPattern('message.updated')
  updated(@Payload() data: ChatEventOf<'message.updated'>, @Ctx() ctx: unknown) {
    return this.dispatch('message.updated', data, ctx);
  }

  @EventPattern('message.deleted')
  deleted(@Payload() data: ChatEventOf<'message.deleted'>, @Ctx() ctx: unknown) {
    return this.dispatch('message.deleted', data, ctx);
  }

  @EventPattern('member.joined')
  joined(@Payload() data: ChatEventOf<'member.joined'>, @Ctx() ctx: unknown) {
    return this.dispatch('member.joined', data, ctx);
  }

  @EventPattern('member.left')
  left(@Payload() data: ChatEventOf<'member.left'>, @Ctx() ctx: unknown) {
    return this.dispatch('member.left', data, ctx);
  }

  @EventPattern('reaction.added')
  reactionAdded(@Payload() data: ChatEventOf<'reaction.added'>, @Ctx() ctx: unknown) {
    return this.dispatch('reaction.added', data, ctx);
  }

  @EventPattern('reaction.removed')
  reactionRemoved(@Payload() data: ChatEventOf<'reaction.removed'>, @Ctx() ctx: unknown) {
    return this.dispatch('reaction.removed', data, ctx);
  }

  private dispatch<T extends ChatEventType>(type: T, data: ChatEventOf<T>, ctx: unknown): Promise<void> {
    const entry = streamContext(ctx);
    return this.dispatcher.dispatch(webhookEvent(type, data, webhookEventId(entry.getStream(), entry.getId()), entry.getAppendedAt()));
  }
}
