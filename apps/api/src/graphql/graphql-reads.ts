import type { ChatReads } from '@chat/graphql';
import { DEFAULT_HISTORY_LIMIT } from '@chat/protocol';
import type { SearchQueries } from '@chat/search';
import type { RoomReads } from '../rooms/room-reads.service';

/** The GraphQL queries answered by what the HTTP api already reads with: the same rules, the same rows. */
export function graphqlReadsOf(rooms: RoomReads, search: SearchQueries): ChatReads {
  return {
    rooms: async (userId) => (await rooms.list(userId)).rooms,
    room: (userId, roomId) => rooms.room(userId, roomId),
    requireMember: (userId, roomId) => rooms.requireMember(userId, roomId),
    history: (userId, { roomId, beforeSeq, limit }) => rooms.history(userId, roomId, { beforeSeq, limit: limit ?? DEFAULT_HISTORY_LIMIT }),
    members: (userId, roomId) => rooms.members(userId, roomId),
    search: async (userId, request) => (await search.search(userId, request)).hits,
  };
}
