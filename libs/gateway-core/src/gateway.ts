import Redis from 'ioredis';
import { TokenService } from '@chat/auth';
import { CloseCode, InternalOp, newConnectionId, User } from '@chat/protocol';
import { Channels, roomOfChannel } from '@chat/redis';
import { decodeRoomEvent } from '@chat/protocol';
import { Logger } from '@chat/observability';
import { ClientSocket, ConnectionData, TopicHub } from './client-socket';
import { ConnectionRateLimiter, ConnectionRates } from './connection-rate-limiter';
import { ConnectionRegistry } from './connection-registry';
import { DeliveryRouter } from './delivery-router';
import { FrameHandler, TRY_AGAIN_LATER } from './frame-handler';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomCatchups } from './room-catchups';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionOpener } from './session-opener';
import { UserRateLimiter, UserRates } from './user-rate-limiter';

export interface GatewayOptions {
  id: string;
  shards: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  maxPendingFrames: number;
  /** How often the gateway tells the presence service it is alive. */
  heartbeatIntervalMs: number;
  rates: { connection: ConnectionRates; user: UserRates };
}

/** The presence service's view of the gateway itself (heartbeats carry no user). */
const GATEWAY_ITSELF: User = { id: '-', username: '-' };


/**
 * One gateway node, independent of the socket library: sockets come in through
 * onOpen/onMessage/onClose; Redis pub/sub comes in through the subscriber connection and
 * goes out to sockets (room events once per event through the topic hub; replies and user
 * events by connection). It never touches PostgreSQL.
 */
export class Gateway {
  readonly registry = new ConnectionRegistry();
  private readonly metrics = GatewayMetrics.get();
  private readonly rooms: RoomSubscriptions;
  private readonly catchups: RoomCatchups;
  private readonly userChannels: RefCountedSubscriptions;
  private readonly sessions: SessionOpener;
  private readonly frames: FrameHandler;
  private readonly deliveries: DeliveryRouter;
  private readonly forwarder: Forwarder;
  private readonly connectionLimits: ConnectionRateLimiter;
  /** Sockets still without hello: the sweep closes those that wait too long. */
  private readonly waiting = new Set<ClientSocket>();
  private sweepTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: GatewayOptions,
    commands: Redis,
    private readonly subscriber: Redis,
    private readonly tokens: TokenService,
    private readonly hub: TopicHub,
    private readonly logger: Logger,
  ) {
    const forwarder = (this.forwarder = new Forwarder(commands, options.id, options.shards));
    this.connectionLimits = new ConnectionRateLimiter(options.rates.connection);
    this.rooms = new RoomSubscriptions(
      new RefCountedSubscriptions(
        (roomId) => subscriber.ssubscribe(Channels.room(roomId)),
        (roomId) => subscriber.sunsubscribe(Channels.room(roomId)),
      ),
    );
    this.catchups = new RoomCatchups((socket, roomId) => this.rooms.goLive(socket, roomId));
    this.userChannels = new RefCountedSubscriptions(
      (userId) => subscriber.subscribe(Channels.user(userId)),
      (userId) => subscriber.unsubscribe(Channels.user(userId)),
    );
    this.sessions = new SessionOpener(this.registry, this.rooms, this.userChannels, commands, forwarder, options.heartbeatMs, (socket) =>
      this.onReady(socket),
    );
    this.frames = new FrameHandler(
      tokens,
      this.sessions,
      forwarder,
      options.maxPendingFrames,
      this.connectionLimits,
      new UserRateLimiter(commands, options.rates.user),
      this.metrics,
    );
    const onError = (err: unknown) => this.logger.warn({ err }, 'delivery failed');
    this.deliveries = new DeliveryRouter(this.registry, this.rooms, this.catchups, this.sessions, forwarder, this.metrics, onError);
  }

  async start(): Promise<void> {
    const gatewayChannel = Channels.gateway(this.options.id);
    this.subscriber.on('smessage', (channel: string, message: string) => {
      const roomId = roomOfChannel(channel);
      const { seq, frame } = decodeRoomEvent(message);
      this.hub.publish(roomId, frame);
      if (this.catchups.size > 0) this.catchups.hold(roomId, seq, frame);
      this.metrics.roomEvents.inc();
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      try {
        if (channel === gatewayChannel) this.deliveries.toConnection(message);
        else this.deliveries.toUser(channel.slice(Channels.user('').length), message);
      } catch (err) {
        this.logger.error({ err, channel }, 'bad delivery dropped');
      }
    });
    this.closeAllWhenSubscriptionsReturn();
    await this.subscriber.subscribe(gatewayChannel);
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    const beat = () => this.report(InternalOp.GATEWAY_HEARTBEAT, GATEWAY_ITSELF, '-');
    beat();
    this.heartbeatTimer = setInterval(beat, this.options.heartbeatIntervalMs);
  }

  /**
   * The state of a socket about to be accepted: authenticated when the query carries a good
   * token, rejected (closed 4001 on open) when a bad one, waiting for an auth frame when none.
   */
  connectionFor(token: string | undefined): ConnectionData {
    if (!token) return this.newConnection();
    try {
      return this.newConnection(this.tokens.verifySync(token));
    } catch (err) {
      return this.newConnection(undefined, (err as Error).message);
    }
  }

  private newConnection(user?: User, rejected?: string): ConnectionData {
    const now = Date.now();
    const data: ConnectionData = { id: newConnectionId(), user, openedAt: now, ready: false, closed: false, rooms: [], rejected };
    this.connectionLimits.fill(data, now);
    return data;
  }

  onOpen(socket: ClientSocket): void {
    const data = socket.getUserData();
    if (data.rejected) return socket.end(CloseCode.UNAUTHORIZED, data.rejected.slice(0, 120));
    this.metrics.connections.inc();
    this.waiting.add(socket);
    if (!data.user) return;
    data.queued = [];
    this.sessions.open(socket, data.user).catch((err) => this.failOpen(socket, err));
  }

  onMessage(socket: ClientSocket, raw: string, bytes: number): void {
    this.frames.handle(socket, raw, bytes);
  }

  onClose(socket: ClientSocket): void {
    const data = socket.getUserData();
    if (data.rejected) return;
    data.closed = true;
    this.metrics.connections.dec();
    this.waiting.delete(socket);
    for (const roomId of data.rooms) this.catchups.cancel(socket, roomId);
    this.rooms.releaseAll(socket);
    if (data.user && this.registry.get(data.id) === socket) this.registry.remove(socket, data.user.id);
    if (data.userChannel) this.userChannels.release(data.user!.id);
    if (data.ready) this.report(InternalOp.PRESENCE_DISCONNECT, data.user!, data.id);
  }

  /**
   * Whatever Redis published while the subscriber connection was down is lost for our sockets,
   * and Redis itself may have restarted (room sets, presence gone). ioredis resubscribes on its
   * own, but only a new session is gapless: close every socket with 1012 so clients reconnect
   * and `resume` — they get exactly what they missed, through the normal path.
   */
  private closeAllWhenSubscriptionsReturn(): void {
    let lost = false;
    this.subscriber.on('close', () => (lost = true));
    this.subscriber.on('ready', () => {
      if (!lost) return;
      lost = false;
      const sockets = [...this.registry.all(), ...this.waiting];
      this.logger.warn({ sockets: sockets.length }, 'redis subscription restored: asking every client to reconnect');
      for (const socket of sockets) socket.end(CloseCode.RECONNECT, 'reconnect and resume');
    });
  }

  /** Hello was sent: the presence service learns of the connection, queued frames run. */
  private onReady(socket: ClientSocket): void {
    const data = socket.getUserData();
    this.waiting.delete(socket);
    this.report(InternalOp.PRESENCE_CONNECT, data.user!, data.id);
    this.frames.drainQueue(socket);
  }

  private report(type: string, user: User, connectionId: string): void {
    this.forwarder.toPresence(type, undefined, user, connectionId).catch((err) => this.logger.warn({ err, type }, 'presence report failed'));
  }

  stats() {
    return { connections: this.registry.size, roomChannels: this.rooms.channelCount };
  }

  /** Closes every socket with 1001 so clients reconnect to another gateway. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.heartbeatTimer);
    for (const socket of [...this.registry.all(), ...this.waiting]) socket.end(CloseCode.GOING_AWAY, 'gateway shutting down');
  }

  private failOpen(socket: ClientSocket, err: unknown): void {
    this.logger.warn({ err }, 'session open failed');
    if (!socket.getUserData().closed) socket.end(TRY_AGAIN_LATER, 'backend unavailable, reconnect later');
  }

  /** One timer for all sockets (no per-socket timers): auth, hello and catch-up deadlines. */
  private sweep(): void {
    this.metrics.roomChannels.set(this.rooms.channelCount);
    // A catch-up the messages service never answered: go live with what was held.
    this.catchups.expire(this.options.authTimeoutMs);
    const deadline = Date.now() - this.options.authTimeoutMs;
    for (const socket of this.waiting) {
      const data = socket.getUserData();
      if (data.openedAt > deadline) continue;
      this.waiting.delete(socket);
      if (data.user) socket.end(TRY_AGAIN_LATER, 'backend did not answer, reconnect later');
      else socket.end(CloseCode.UNAUTHORIZED, 'authentication timeout');
    }
  }
}
