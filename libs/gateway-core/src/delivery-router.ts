import { CloseCode, decodeDelivery, DeliveryHeader, InternalOp } from '@chat/protocol';
import { ClientSocket } from './client-socket';
import { ConnectionRegistry } from './connection-registry';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { RoomCatchups } from './room-catchups';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionOpener } from './session-opener';

/**
 * Applies what services publish for this gateway's connections: `gw:{id}` targets one
 * connection, `user:{id}` every connection of a user. A delivery may carry a frame (sent
 * byte for byte) and controls: subscribe to rooms (held back, caught up on seq > after, then
 * live — see RoomCatchups), end a catch-up, unsubscribe, finish a session bootstrap, or
 * close the socket(s) (a revoked or unknown user: the frame, if any, goes out first).
 */
export class DeliveryRouter {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly rooms: RoomSubscriptions,
    private readonly catchups: RoomCatchups,
    private readonly sessions: SessionOpener,
    private readonly forwarder: Forwarder,
    private readonly metrics: GatewayMetrics,
    private readonly onError: (err: unknown) => void,
  ) {}

  toConnection(payload: string): void {
    const { header, frame } = decodeDelivery(payload);
    const socket = header.c === undefined ? undefined : this.registry.get(header.c);
    if (socket) this.apply(socket, header, frame);
  }

  toUser(userId: string, payload: string): void {
    const sockets = this.registry.ofUser(userId);
    if (sockets.length === 0) return;
    const { header, frame } = decodeDelivery(payload);
    for (const socket of sockets) this.apply(socket, header, frame);
  }

  private apply(socket: ClientSocket, header: DeliveryHeader, frame: string): void {
    const data = socket.getUserData();
    if (data.closed) return;
    if (header.close) return this.close(socket, header.close, frame);
    if (header.sync) this.sessions.enter(socket, header.sync).catch(this.onError);
    for (const roomId of header.unsub ?? []) {
      this.catchups.cancel(socket, roomId);
      this.rooms.leave(socket, roomId);
    }
    if (frame) {
      socket.send(frame);
      this.metrics.deliveries.inc();
    }
    if (header.caughtUp) this.catchups.finish(socket, header.caughtUp.roomId, header.caughtUp.upTo);
    for (const { roomId, after } of header.sub ?? []) this.catchUp(socket, roomId, after);
  }

  /** Nothing else of the delivery applies to a socket that is closing. */
  private close(socket: ClientSocket, close: { code: number; reason: string }, frame: string): void {
    if (frame) {
      socket.send(frame);
      this.metrics.deliveries.inc();
    }
    // A service closing a socket 4001 means its user's tokens were revoked (logout everywhere, ban).
    if (close.code === CloseCode.UNAUTHORIZED) this.metrics.authFailures.inc({ reason: 'revoked' });
    socket.end(close.code, close.reason.slice(0, 120));
  }

  /** Joins the room channel holding live events back, then asks the service for seq > after. */
  private catchUp(socket: ClientSocket, roomId: string, after: number): void {
    const data = socket.getUserData();
    if (!data.user || this.rooms.has(socket, roomId)) return;
    this.catchups.begin(socket, roomId);
    this.rooms
      .join(socket, roomId, { topic: false })
      .then((joined) => {
        if (!joined) return this.catchups.cancel(socket, roomId);
        return this.forwarder.forwardInternal(InternalOp.CATCHUP, { roomId, after }, roomId, data.user!, data.id);
      })
      .catch((err) => {
        this.catchups.cancel(socket, roomId);
        this.onError(err);
      });
  }
}
