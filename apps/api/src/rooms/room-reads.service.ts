import { ChatError, ErrorCode, Member, Message, Room, RoomListing } from '@chat/protocol';
import type { MemberList } from '@chat/messaging';
import type { MessageRepository, RoomRepository } from '@chat/store';
import type { HistoryQuery } from './history-query.schema';

/**
 * The read side of rooms over HTTP (and GraphQL), with the protocol's access rules: only
 * members read a room's messages and members; a private room or DM is invisible to others.
 * Room writes go through the gateway and the messages service, never through here.
 */
export class RoomReads {
  constructor(
    private readonly rooms: Pick<RoomRepository, 'listFor' | 'findById' | 'isMember'>,
    private readonly messages: Pick<MessageRepository, 'history'>,
    private readonly memberList: Pick<MemberList, 'of'>,
  ) {}

  async list(userId: string): Promise<{ rooms: RoomListing[] }> {
    return { rooms: await this.rooms.listFor(userId) };
  }

  /** A public room, or one the user is in; NOT_FOUND otherwise (never FORBIDDEN, which would confirm it exists). */
  async room(userId: string, roomId: string): Promise<Room> {
    const room = await this.rooms.findById(roomId);
    if (room && (room.kind === 'public' || (await this.rooms.isMember(roomId, userId)))) return room;
    throw new ChatError(ErrorCode.NOT_FOUND, `room "${roomId}" not found`);
  }

  /** NOT_FOUND for an unknown room, FORBIDDEN for one the user is not in. */
  async requireMember(userId: string, roomId: string): Promise<void> {
    if (!(await this.rooms.findById(roomId))) throw new ChatError(ErrorCode.NOT_FOUND, `room "${roomId}" not found`);
    if (!(await this.rooms.isMember(roomId, userId))) {
      throw new ChatError(ErrorCode.FORBIDDEN, 'only members can read this room');
    }
  }

  async history(userId: string, roomId: string, query: HistoryQuery): Promise<{ messages: Message[]; hasMore: boolean }> {
    await this.requireMember(userId, roomId);
    return this.messages.history(roomId, query.beforeSeq, query.limit);
  }

  /** The members with role and presence, as `room.members` answers them. */
  async members(userId: string, roomId: string): Promise<Member[]> {
    await this.requireMember(userId, roomId);
    return this.memberList.of(roomId);
  }
}
