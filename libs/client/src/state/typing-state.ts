import type { ChatClient } from '../chat-client';
import { Emitter } from '../emitter';

/** Who is typing in each room (the server expires typing and ends it on send; this mirrors its events). */
export class TypingState extends Emitter<{ change: { roomId: string; userIds: string[] } }> {
  private readonly byRoom = new Map<string, string[]>();

  constructor(client: ChatClient) {
    super();
    client.on('typing.updated', ({ roomId, userIds }) => {
      if (userIds.length === 0) this.byRoom.delete(roomId);
      else this.byRoom.set(roomId, userIds);
      this.emit('change', { roomId, userIds });
    });
    // A socket that dropped missed the stops: start over from the next events.
    client.on('ready', () => {
      for (const roomId of [...this.byRoom.keys()]) {
        this.byRoom.delete(roomId);
        this.emit('change', { roomId, userIds: [] });
      }
    });
  }

  in(roomId: string): string[] {
    return this.byRoom.get(roomId) ?? [];
  }
}
