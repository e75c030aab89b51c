import type { ChatClient } from '../chat-client';
import { Emitter } from '../emitter';
import type { RoomListing } from '../../../protocol/src/wire';

/**
 * The user's rooms with unread counts, kept current from the client's events: a message from
 * someone else counts as unread, the user's own read markers (from any device) clear it.
 * `unread = lastSeq − read marker`, as the server counts it.
 */
export class RoomsState extends Emitter<{ change: RoomListing }> {
  private readonly rooms = new Map<string, RoomListing>();
  private readonly readUpTo = new Map<string, number>();

  constructor(private readonly client: ChatClient) {
    super();
    client.on('message', (m) => {
      const room = this.rooms.get(m.roomId);
      if (!room || m.seq <= room.lastSeq) return;
      const mine = m.author.id === client.me?.userId;
      if (mine) this.readUpTo.set(m.roomId, m.seq); // sending moves one's own marker (docs/protocol.md)
      this.update({ ...room, lastSeq: m.seq });
    });
    client.on('read.updated', ({ roomId, userId, seq }) => {
      const room = this.rooms.get(roomId);
      if (!room || userId !== client.me?.userId) return;
      this.readUpTo.set(roomId, Math.max(seq, this.readUpTo.get(roomId) ?? 0));
      this.update(room);
    });
    client.on('room.member_left', ({ roomId, userId }) => {
      const room = this.rooms.get(roomId);
      if (room && userId === client.me?.userId) this.update({ ...room, joined: false });
    });
    client.on('dm.opened', ({ room }) => this.add({ ...room, unread: 0, joined: true }));
    client.on('room.member_joined', ({ room, user }) => {
      if (room && user.id === client.me?.userId) this.add({ ...room, unread: room.lastSeq, joined: true });
    });
  }

  /** Loads the list from the server (`room.list`). */
  async load(): Promise<RoomListing[]> {
    const { rooms } = await this.client.request('room.list');
    for (const room of rooms) this.add(room);
    return this.list();
  }

  add(room: RoomListing): void {
    this.readUpTo.set(room.id, room.lastSeq - room.unread);
    this.update(room);
  }

  get(roomId: string): RoomListing | undefined {
    return this.rooms.get(roomId);
  }

  list(): RoomListing[] {
    return [...this.rooms.values()];
  }

  /** Moves the user's read marker to the room's last message (`read.mark`). */
  async markRead(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room || room.lastSeq === 0) return;
    const { seq } = await this.client.request('read.mark', { roomId, seq: room.lastSeq });
    this.readUpTo.set(roomId, Math.max(seq, this.readUpTo.get(roomId) ?? 0));
    this.update(this.rooms.get(roomId)!);
  }

  private update(room: RoomListing): void {
    const next = { ...room, unread: Math.max(0, room.lastSeq - (this.readUpTo.get(room.id) ?? 0)) };
    this.rooms.set(room.id, next);
    this.emit('change', next);
  }
}
