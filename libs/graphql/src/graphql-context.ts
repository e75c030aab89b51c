import type { Room, User } from '@chat/protocol';
import type { ChatReads } from './chat-reads';
import type { ChatSession } from './chat-session';

/** What every resolver gets: who asks, how to read, and the session writes and live events go through. */
export interface GraphqlContext {
  viewer: User;
  reads: ChatReads;
  /**
   * The chat session of this caller: a graphql-ws connection's own, or (HTTP) one opened for
   * the request when a mutation first needs it.
   */
  session(): Promise<ChatSession>;
  /** Rooms read during this operation, so `Message.room` over a page reads each room once. */
  rooms: Map<string, Promise<Room>>;
}

export function graphqlContext(viewer: User, reads: ChatReads, session: () => Promise<ChatSession>): GraphqlContext {
  return { viewer, reads, session, rooms: new Map() };
}
