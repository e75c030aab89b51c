import { TokenSession } from '@chat/auth';
import { CloseCode, eventFrame, InternalOp, ServerEvent } from '@chat/protocol';
import { ClientSocket, EVERYONE_TOPIC } from './client-socket';
import { GatewayCloseCode } from './close-codes';
import { GatewayMetrics } from './gateway.metrics';
import { ConnectionRegistry } from './connection-registry';
import { Forwarder } from './forwarder';
import { RoomSetCache } from './ports/room-set-cache';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionExpiries } from './session-expiries';

export interface SessionLimits {
  heartbeatMs: number;
  /** Sockets one user may hold open on this gateway; one more is closed 4008. */
  maxSocketsPerUser: number;
}

/**
 * From a verified token to `hello`: register the socket (within the user's socket cap, with
 * its token's expiry), subscribe to the user's channel and to every room the user is in, and
 * only then greet. So anything a client does after hello (a `resume` above all) happens with
 * its subscriptions in place: no gap by construction. The room list and the user's revocation
 * time come from Redis in one round trip; a token issued before the revocation is refused
 * (4001). When the room list is not loaded there, the messages service loads it
 * (`$session.sync`, which also refuses an unknown user) and the greeting waits for its answer.
 */
export class SessionOpener {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly rooms: RoomSubscriptions,
    private readonly userChannels: RefCountedSubscriptions,
    private readonly roomSets: RoomSetCache,
    private readonly forwarder: Forwarder,
    private readonly expiries: SessionExpiries,
    private readonly limits: SessionLimits,
    private readonly onReady: (socket: ClientSocket) => void,
  ) {}

  async open(socket: ClientSocket, session: TokenSession): Promise<void> {
    const data = socket.getUserData();
    if (this.registry.countOf(session.user.id) >= this.limits.maxSocketsPerUser) {
      return socket.end(GatewayCloseCode.TOO_MANY_CONNECTIONS, `too many connections (at most ${this.limits.maxSocketsPerUser} per user)`);
    }
    // One User object (and id string) for all of a user's sockets on this gateway.
    const user = this.registry.sharedUser(session.user);
    data.user = user;
    data.expiresAt = session.expiresAt;
    if (data.issuedAtMs !== undefined) data.issuedAtMs = undefined;
    this.registry.add(socket, user.id);
    this.expiries.add(socket, session.expiresAt);
    await this.userChannels.acquire(user.id);
    // Only a confirmed acquire holds a reference; onClose releases it, or we do if the socket
    // closed while we waited (onClose ran before there was anything to release).
    if (data.closed) return this.userChannels.release(user.id);
    data.userChannel = true;
    const { rooms, revokedBefore } = await this.roomSets.read(user.id);
    if (data.closed) return;
    // `iat` has whole seconds: a token issued in the second of the revocation is let in.
    if (revokedBefore !== undefined && session.issuedAtMs < revokedBefore) {
      GatewayMetrics.get().authFailures.inc({ reason: 'revoked' });
      return socket.end(CloseCode.UNAUTHORIZED, 'token revoked');
    }
    if (rooms === undefined) {
      await this.forwarder.forwardInternal(InternalOp.SESSION_SYNC, undefined, user.id, user, data.id);
      return;
    }
    await this.enter(socket, rooms);
  }

  /** A newer token of the same user: the socket now lives until its expiry. */
  refresh(socket: ClientSocket, expiresAt: number): void {
    const data = socket.getUserData();
    if (data.expiresAt !== undefined) this.expiries.remove(socket, data.expiresAt);
    data.expiresAt = expiresAt;
    this.expiries.add(socket, expiresAt);
  }

  /** On close: the socket no longer expires. */
  forget(socket: ClientSocket): void {
    const data = socket.getUserData();
    if (data.expiresAt !== undefined) this.expiries.remove(socket, data.expiresAt);
  }

  /** Subscribes the socket to its rooms, then says hello and lets queued frames through. */
  async enter(socket: ClientSocket, roomIds: string[]): Promise<void> {
    const data = socket.getUserData();
    await Promise.all(roomIds.map((roomId) => this.rooms.join(socket, roomId)));
    if (data.closed || data.ready || !data.user) return;
    data.ready = true;
    socket.subscribe(EVERYONE_TOPIC);
    socket.send(
      eventFrame(ServerEvent.HELLO, {
        userId: data.user.id,
        username: data.user.username,
        connectionId: data.id,
        heartbeatMs: this.limits.heartbeatMs,
      }),
    );
    this.onReady(socket);
  }
}
