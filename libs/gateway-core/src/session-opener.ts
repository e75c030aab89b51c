import Redis from 'ioredis';
import { eventFrame, InternalOp, ServerEvent, User } from '@chat/protocol';
import { Keys, USER_ROOMS_LOADED } from '@chat/redis';
import { ClientSocket } from './client-socket';
import { ConnectionRegistry } from './connection-registry';
import { Forwarder } from './forwarder';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomSubscriptions } from './room-subscriptions';

/**
 * From a verified token to `hello`: register the socket, subscribe to the user's channel and
 * to every room the user is in, and only then greet. So anything a client does after hello
 * (a `resume` above all) happens with its subscriptions in place: no gap by construction.
 * The room list comes from Redis; when it is not loaded there, the messages service loads it
 * (`$session.sync`) and the greeting waits for its answer.
 */
export class SessionOpener {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly rooms: RoomSubscriptions,
    private readonly userChannels: RefCountedSubscriptions,
    private readonly redis: Redis,
    private readonly forwarder: Forwarder,
    private readonly heartbeatMs: number,
    private readonly onReady: (socket: ClientSocket) => void,
  ) {}

  async open(socket: ClientSocket, user: User): Promise<void> {
    const data = socket.getUserData();
    data.user = user;
    this.registry.add(socket, user.id);
    await this.userChannels.acquire(user.id);
    // Only a confirmed acquire holds a reference; onClose releases it, or we do if the socket
    // closed while we waited (onClose ran before there was anything to release).
    if (data.closed) return this.userChannels.release(user.id);
    data.userChannel = true;
    const members = await this.redis.smembers(Keys.userRooms(user.id));
    if (data.closed) return;
    if (!members.includes(USER_ROOMS_LOADED)) {
      await this.forwarder.forwardInternal(InternalOp.SESSION_SYNC, undefined, user.id, user, data.id);
      return;
    }
    await this.enter(socket, members.filter((m) => m !== USER_ROOMS_LOADED));
  }

  /** Subscribes the socket to its rooms, then says hello and lets queued frames through. */
  async enter(socket: ClientSocket, roomIds: string[]): Promise<void> {
    const data = socket.getUserData();
    await Promise.all(roomIds.map((roomId) => this.rooms.join(socket, roomId)));
    if (data.closed || data.ready || !data.user) return;
    data.ready = true;
    socket.send(
      eventFrame(ServerEvent.HELLO, {
        userId: data.user.id,
        username: data.user.username,
        connectionId: data.id,
        heartbeatMs: this.heartbeatMs,
      }),
    );
    this.onReady(socket);
  }
}
