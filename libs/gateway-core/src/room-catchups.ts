import { ClientSocket } from './client-socket';

interface Catchup {
  held: { seq?: number; frame: string }[];
  startedAt: number;
}

/** Beyond this many held events the socket simply goes live (at-least-once, still in order of arrival). */
const MAX_HELD = 1000;

/**
 * Sockets that just joined a room and are being caught up. From the moment the gateway
 * subscribes a socket to a room it holds back the room's live events for it; the messages
 * service replays what the socket missed (seq > after) and says up to which seq it did; then
 * the held events with a higher seq go out and the socket joins the uWS topic. So a join
 * mid-stream delivers each message exactly once and in seq order.
 */
export class RoomCatchups {
  private readonly byRoom = new Map<string, Map<ClientSocket, Catchup>>();

  /** `goLive` puts a caught-up socket on the room's uWS topic. */
  constructor(private readonly goLive: (socket: ClientSocket, roomId: string) => void) {}

  get size(): number {
    return this.byRoom.size;
  }

  begin(socket: ClientSocket, roomId: string): void {
    let sockets = this.byRoom.get(roomId);
    if (!sockets) this.byRoom.set(roomId, (sockets = new Map()));
    sockets.set(socket, { held: [], startedAt: Date.now() });
  }

  isCatchingUp(socket: ClientSocket, roomId: string): boolean {
    return this.byRoom.get(roomId)?.has(socket) ?? false;
  }

  /** A live room event: held for every socket catching up on that room. */
  hold(roomId: string, seq: number | undefined, frame: string): void {
    const sockets = this.byRoom.get(roomId);
    if (!sockets) return;
    for (const [socket, catchup] of sockets) {
      catchup.held.push({ seq, frame });
      if (catchup.held.length > MAX_HELD) this.finish(socket, roomId, 0);
    }
  }

  /**
   * Ends a catch-up: sends the held events the replay did not cover (seq > upTo, and events
   * without a seq), then the socket goes live — in the same turn, so nothing falls between.
   * False when the socket was not catching up on that room.
   */
  finish(socket: ClientSocket, roomId: string, upTo: number): boolean {
    const sockets = this.byRoom.get(roomId);
    const catchup = sockets?.get(socket);
    if (!sockets || !catchup) return false;
    sockets.delete(socket);
    if (sockets.size === 0) this.byRoom.delete(roomId);
    if (!socket.getUserData().closed) {
      for (const { seq, frame } of catchup.held) if (seq === undefined || seq > upTo) socket.send(frame);
      this.goLive(socket, roomId);
    }
    return true;
  }

  /** Forgets a socket's catch-up without sending anything (it left the room, or closed). */
  cancel(socket: ClientSocket, roomId: string): void {
    const sockets = this.byRoom.get(roomId);
    if (!sockets?.delete(socket)) return;
    if (sockets.size === 0) this.byRoom.delete(roomId);
  }

  /** Ends catch-ups older than `maxAgeMs` (the service never answered) with what was held. */
  expire(maxAgeMs: number, now = Date.now()): number {
    const late: [ClientSocket, string][] = [];
    for (const [roomId, sockets] of this.byRoom) {
      for (const [socket, catchup] of sockets) if (now - catchup.startedAt > maxAgeMs) late.push([socket, roomId]);
    }
    for (const [socket, roomId] of late) this.finish(socket, roomId, 0);
    return late.length;
  }
}
