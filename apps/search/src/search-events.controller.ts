import { ChatEventOf } from '@chat/protocol';
import { CoalescingIndexWriter } from '@chat/search';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

export const SEARCH_INDEX_WRITER = Symbol('SearchIndexWriter');

/**
 * The events of `chat:events:{shard}` the index follows, one line each. Applying is
 * idempotent (the transport delivers at least once); member events need nothing here, since
 * queries read membership from room_members as it is now.
 */
@Controller()
export class SearchEventsController {
  constructor(@Inject(SEARCH_INDEX_WRITER) private readonly index: CoalescingIndexWriter) {}

  @EventPattern('message.created')
  created(@Payload() data: ChatEventOf<'message.created'>) {
    return this.index.apply({ type: 'message.created', data });
  }

  @EventPattern('message.updated')
  updated(@Payload() data: ChatEventOf<'message.updated'>) {
    return this.index.apply({ type: 'message.updated', data });
  }

  @EventPattern('message.deleted')
  deleted(@Payload() data: ChatEventOf<'message.deleted'>) {
    return this.index.apply({ type: 'message.deleted', data });
  }
}
