import { Member } from '@chat/protocol';
import { RoomRepository } from '@chat/store';
import { PresenceReader } from '@chat/presence';

/** A room's members with their current presence, as `room.members` and `room.join` return them. */
export class MemberList {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly presence: PresenceReader,
  ) {}

  async of(roomId: string): Promise<Member[]> {
    const members = await this.rooms.members(roomId);
    const statuses = await this.presence.statuses(members.map((m) => m.id));
    return members.map((m) => ({ ...m, presence: statuses.get(m.id) ?? 'offline' }));
  }
}
