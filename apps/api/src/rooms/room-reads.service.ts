import { ChatError, ErrorCode, Message, RoomListing } from '@chat/protocol';
import type { MessageRepository, RoomRepository } from '@chat/store';
import type { HistoryQuery } from './history-query.schema';

/**
 * The read side of rooms over HTTP, with the protocol's access rule: only members read a
 * room. Room writes go through the gateway and the messages service, never through here.
 */
export class RoomReads {
  constructor(
    private readonly rooms: Pick<RoomRepository, 'listFor' | 'findById' | 'isMember'>,
    private readonly messages: Pick<MessageRepository, 'history'>,
  ) {}

  async list(userId: string): Promise<{ rooms: RoomListing[] }> {
    return { rooms: await this.rooms.listFor(userId) };
  }

  async history(userId: string, roomId: string, query: HistoryQuery): Promise<{ messages: Message[]; hasMore: boolean }> {
    if (!(await this.rooms.findById(roomId))) throw new ChatError(ErrorCode.NOT_FOUND, `room "${roomId}" not found`);
    if (!(await this.rooms.isMember(roomId, userId))) {
      throw new ChatError(ErrorCode.FORBIDDEN, 'only members can read this room');
    }
    return this.messages.history(roomId, query.beforeSeq, query.limit);
  }
}
