import { RoomSetCache, SessionFacts } from './room-set-cache';

/** Room sets and revocations in maps, for tests. A user absent from `rooms` is "not loaded". */
export class MemoryRoomSetCache implements RoomSetCache {
  readonly rooms = new Map<string, string[]>();
  readonly revokedBefore = new Map<string, number>();

  async read(userId: string): Promise<SessionFacts> {
    const rooms = this.rooms.get(userId);
    return { rooms: rooms && [...rooms], revokedBefore: this.revokedBefore.get(userId) };
  }
}
