import { MemberState, RoomRepository } from '@chat/store';

/** Who belongs to a room (with role and mute), as the permission checks need it. */
export interface Membership {
  /** Members of an existing room, or undefined when the room does not exist. */
  members(roomId: string): Promise<Map<string, MemberState> | undefined>;
}

/**
 * Membership read straight from PostgreSQL, for the read path: any instance answers reads,
 * so it cannot rely on a shard owner's cache.
 */
export class DirectMembership implements Membership {
  constructor(private readonly rooms: RoomRepository) {}

  async members(roomId: string): Promise<Map<string, MemberState> | undefined> {
    const room = await this.rooms.findById(roomId);
    return room ? this.rooms.memberStates(roomId) : undefined;
  }
}
