import type { Member, Message, OpDataOf, Room, RoomListing, SearchHit, User } from '@chat/protocol';

/**
 * What the queries read, answered by the api from PostgreSQL (and Redis for presence) with
 * the protocol's access rules — the same answers as the ops over WebSocket and the HTTP api.
 * Refusals are ChatErrors (NOT_FOUND, FORBIDDEN). Arguments arrive validated by the ops'
 * schemas (libs/protocol OpData).
 */
export interface ChatReads {
  rooms(userId: string): Promise<RoomListing[]>;
  /** A room the user may see: public, or one they are in (else NOT_FOUND: a private room stays invisible). */
  room(userId: string, roomId: string): Promise<Room>;
  /** NOT_FOUND for an unknown room, FORBIDDEN unless the user is a member. */
  requireMember(userId: string, roomId: string): Promise<void>;
  history(userId: string, query: OpDataOf<'message.history'>): Promise<{ messages: Message[]; hasMore: boolean }>;
  members(userId: string, roomId: string): Promise<Member[]>;
  search(userId: string, query: OpDataOf<'search'>): Promise<SearchHit[]>;
}

/** The signed-in user of a request or a graphql-ws connection. */
export type Viewer = User;
