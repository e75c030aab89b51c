import type { Message } from '@chat/protocol';

/**
 * The messages the terminal has seen, by room and seq and by id: commands name messages by
 * their seq (`/react 12 👍`), the protocol by id; replies and reactions show the seq.
 */
export class RoomLog {
  private readonly bySeq = new Map<string, Map<number, Message>>();
  private readonly byId = new Map<string, Message>();

  keep(message: Message): void {
    let room = this.bySeq.get(message.roomId);
    if (!room) this.bySeq.set(message.roomId, (room = new Map()));
    room.set(message.seq, message);
    this.byId.set(message.id, message);
  }

  at(roomId: string, seq: number): Message | undefined {
    return this.bySeq.get(roomId)?.get(seq);
  }

  byMessageId(id: string): Message | undefined {
    return this.byId.get(id);
  }
}
