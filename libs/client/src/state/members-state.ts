import type { ChatClient } from '../chat-client';
import { Emitter } from '../emitter';
import type { Member, PresenceStatus } from '../../../protocol/src/wire';

/**
 * Members of the rooms the app shows, with role and presence, kept current from the client's
 * events (joins, departures, role changes, presence of any user in any of those rooms).
 */
export class MembersState extends Emitter<{ change: { roomId: string; members: Member[] } }> {
  private readonly byRoom = new Map<string, Map<string, Member>>();

  constructor(private readonly client: ChatClient) {
    super();
    client.on('room.member_joined', ({ roomId, user, role }) => this.edit(roomId, (m) => m.set(user.id, { ...user, role, presence: m.get(user.id)?.presence ?? 'online' })));
    client.on('room.member_left', ({ roomId, userId }) => this.edit(roomId, (m) => m.delete(userId)));
    client.on('room.member_updated', ({ roomId, userId, role }) =>
      this.edit(roomId, (m) => {
        const member = m.get(userId);
        if (member) m.set(userId, { ...member, role });
      }),
    );
    client.on('presence.updated', ({ userId, status }) => this.setPresence(userId, status));
  }

  /** Loads a room's members from the server (`room.members`). */
  async load(roomId: string): Promise<Member[]> {
    const { members } = await this.client.request('room.members', { roomId });
    this.set(roomId, members);
    return members;
  }

  /** Sets a room's members from a reply that carried them (`room.join`). */
  set(roomId: string, members: Member[]): void {
    this.byRoom.set(roomId, new Map(members.map((m) => [m.id, m])));
    this.emit('change', { roomId, members });
  }

  of(roomId: string): Member[] {
    return [...(this.byRoom.get(roomId)?.values() ?? [])];
  }

  private setPresence(userId: string, presence: PresenceStatus): void {
    for (const [roomId, members] of this.byRoom) {
      const member = members.get(userId);
      if (member) this.edit(roomId, (m) => m.set(userId, { ...member, presence }));
    }
  }

  private edit(roomId: string, change: (members: Map<string, Member>) => void): void {
    const members = this.byRoom.get(roomId);
    if (!members) return;
    change(members);
    this.emit('change', { roomId, members: [...members.values()] });
  }
}
