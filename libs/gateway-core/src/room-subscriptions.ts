import { ClientSocket, ConnectionData, NO_ROOMS } from './client-socket';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';

/**
 * Which local sockets hear which rooms. A socket joins the uWS topic of a room only after
 * this gateway's SSUBSCRIBE to the room's channel is confirmed, so whatever is published
 * from then on reaches it; the caller covers the moment before with a seq catch-up.
 */
export class RoomSubscriptions {
  constructor(private readonly channels: RefCountedSubscriptions) {}

  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * True when the socket was newly subscribed (false: already was, or closed meanwhile).
   * With `topic: false` the room channel is held for the socket but its uWS topic is left to
   * `goLive`, once the socket has caught up.
   */
  async join(socket: ClientSocket, roomId: string, { topic = true }: { topic?: boolean } = {}): Promise<boolean> {
    const data = socket.getUserData();
    if (data.closed || data.rooms.includes(roomId)) return false;
    // Claimed before the await so a close in between releases exactly what was acquired.
    if (data.rooms === NO_ROOMS) data.rooms = [roomId];
    else data.rooms.push(roomId);
    try {
      await this.channels.acquire(roomId);
    } catch (err) {
      // A failed acquire holds no reference (the channel entry is gone): unclaim, never release.
      without(data, roomId);
      throw err;
    }
    if (data.closed || !data.rooms.includes(roomId)) return false;
    if (topic) socket.subscribe(roomId);
    return true;
  }

  /** Subscribes a caught-up socket to the room's uWS topic, if it is still in the room. */
  goLive(socket: ClientSocket, roomId: string): void {
    const data = socket.getUserData();
    if (!data.closed && data.rooms.includes(roomId)) socket.subscribe(roomId);
  }

  has(socket: ClientSocket, roomId: string): boolean {
    return socket.getUserData().rooms.includes(roomId);
  }

  /**
   * uWS batches topic publishes until the end of the loop iteration, so unsubscribing now
   * would drop a room event published in this same iteration — typically the departure
   * itself. The socket's topic is dropped on the next turn, unless it rejoined meanwhile.
   */
  leave(socket: ClientSocket, roomId: string): void {
    const data = socket.getUserData();
    if (!data.rooms.includes(roomId)) return;
    without(data, roomId);
    this.channels.release(roomId);
    setImmediate(() => {
      if (!data.closed && !data.rooms.includes(roomId)) socket.unsubscribe(roomId);
    });
  }

  /** On close: uWS drops the topics itself; we drop our channel references. */
  releaseAll(socket: ClientSocket): void {
    const data = socket.getUserData();
    for (const roomId of data.rooms) this.channels.release(roomId);
    data.rooms = NO_ROOMS;
  }
}

/** Drops a room from the socket's list (a new array: callers may be iterating the old one). */
function without(data: ConnectionData, roomId: string): void {
  const rest = data.rooms.filter((r) => r !== roomId);
  data.rooms = rest.length === 0 ? NO_ROOMS : rest;
}
