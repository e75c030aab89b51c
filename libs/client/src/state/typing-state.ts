import type { ChatClient } from '../chat-client';
import { Emitter } from '../emitter';

/** A room's typists after a change, and who of them just started (to say "bob is typing"). */
export interface TypingChange {
  roomId: string;
  userIds: string[];
  started: string[];
}

/** Who is typing in each room (the server expires typing and ends it on send; this mirrors its events). */
export class TypingState extends Emitter<{ change: TypingChange }> {
  private readonly byRoom = new Map<string, string[]>();

  constructor(client: ChatClient) {
    super();
    client.on('typing.updated', ({ roomId, userIds }) => {
      const before = this.in(roomId);
      if (userIds.length === 0) this.byRoom.delete(roomId);
      else this.byRoom.set(roomId, userIds);
      this.emit('change', { roomId, userIds, started: userIds.filter((id) => !before.includes(id)) });
    });
    // A socket that dropped missed the stops: start over from the next events.
    client.on('ready', () => {
      for (const roomId of [...this.byRoom.keys()]) {
        this.byRoom.delete(roomId);
        this.emit('change', { roomId, userIds: [], started: [] });
      }
    });
  }

  in(roomId: string): string[] {
    return this.byRoom.get(roomId) ?? [];
  }
}
