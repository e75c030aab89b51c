import { ChatEventOf } from '@chat/protocol';
import { PushNotifier } from '@chat/push';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

export const PUSH_NOTIFIER = Symbol('PushNotifier');

/**
 * The events of `chat:events:{shard}` push follows: new messages only (an edit or a deletion
 * notifies nobody). Enqueueing is idempotent (the transport delivers at least once).
 */
@Controller()
export class PushEventsController {
  constructor(@Inject(PUSH_NOTIFIER) private readonly notifier: PushNotifier) {}

  @EventPattern('message.created')
  async created(@Payload() { message }: ChatEventOf<'message.created'>) {
    await this.notifier.messageCreated(message);
  }
}
