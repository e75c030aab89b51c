import { TokenService, TokenSession } from '@chat/auth';
import { CloseCode, InternalOp, newConnectionId, User } from '@chat/protocol';
import { decodeRoomEvent } from '@chat/protocol';
import { Logger } from '@chat/observability';
import { ClientSocket, ConnectionData, EVERYONE_TOPIC, NO_ROOMS, TopicHub } from './client-socket';
import { ConnectionRateLimiter, ConnectionRates } from './connection-rate-limiter';
import { closeCodeLabel } from './close-code-label';
import { closeGradually } from './gradual-close';
import { ConnectionRegistry } from './connection-registry';
import { DeliveryRouter } from './delivery-router';
import { FrameHandler, TRY_AGAIN_LATER } from './frame-handler';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { BrokerEventHandler } from './ports/broker-subscription';
import { GatewayPorts } from './ports/gateway-ports';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomCatchups } from './room-catchups';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionExpiries } from './session-expiries';
import { SessionOpener } from './session-opener';
import { AccountRateLimiters } from './account-rate-limiters';
import { UserRateLimiter, UserRates } from './user-rate-limiter';

export interface GatewayOptions {
  id: string;
  shards: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  maxPendingFrames: number;
  /** Sockets one user may hold open on this gateway. */
  maxSocketsPerUser: number;
  /** How often the gateway tells the presence service it is alive. */
  heartbeatIntervalMs: number;
  /** `bot`: the per-user limits of bot accounts (the user limits when absent). */
  rates: { connection: ConnectionRates; user: UserRates; bot?: UserRates };
}

/** The presence service's view of the gateway itself (heartbeats carry no user). */
const GATEWAY_ITSELF: User = { id: '-', username: '-' };

/**
 * One gateway node, independent of the socket library and of Redis: sockets come in through
 * onOpen/onMessage/onClose; the broker's events come in through the BrokerEventHandler it
 * registers at start and go out to sockets (room events once per event through the topic
 * hub; replies and user events by connection). Ops go out through the op stream. It never
 * touches PostgreSQL.
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
  private readonly userLimits: AccountRateLimiters;
  private readonly expiries = new SessionExpiries();
  /** Sockets still without hello: the sweep closes those that wait too long. */
  private readonly waiting = new Set<ClientSocket>();
  private sweepTimer?: NodeJS.Timeout;
  private drainingSince?: number;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: GatewayOptions,
    private readonly ports: GatewayPorts,
    private readonly tokens: TokenService,
    private readonly hub: TopicHub,
    private readonly logger: Logger,
  ) {
    const { broker } = ports;
    const forwarder = (this.forwarder = new Forwarder(ports.ops, options.id, options.shards));
    this.connectionLimits = new ConnectionRateLimiter(options.rates.connection);
    const onSyncError = (err: unknown) => this.logger.warn({ err }, 'rate count sync failed');
    this.userLimits = new AccountRateLimiters(
      new UserRateLimiter(ports.rateLimits, options.rates.user, onSyncError),
      new UserRateLimiter(ports.rateLimits, options.rates.bot ?? options.rates.user, onSyncError),
    );
    this.rooms = new RoomSubscriptions(
      new RefCountedSubscriptions(
        (roomId) => broker.subscribeRoom(roomId),
        (roomId) => broker.unsubscribeRoom(roomId),
      ),
    );
    this.catchups = new RoomCatchups((socket, roomId) => this.rooms.goLive(socket, roomId));
    this.userChannels = new RefCountedSubscriptions(
      (userId) => broker.subscribeUser(userId),
      (userId) => broker.unsubscribeUser(userId),
    );
    this.sessions = new SessionOpener(
      this.registry,
      this.rooms,
      this.userChannels,
      ports.roomSets,
      forwarder,
      this.expiries,
      { heartbeatMs: options.heartbeatMs, maxSocketsPerUser: options.maxSocketsPerUser },
      (socket) => this.onReady(socket),
    );
    this.frames = new FrameHandler(
      tokens,
      this.sessions,
      forwarder,
      options.maxPendingFrames,
      this.connectionLimits,
      this.userLimits,
      this.metrics,
    );
    const onError = (err: unknown) => this.logger.warn({ err }, 'delivery failed');
    this.deliveries = new DeliveryRouter(this.registry, this.rooms, this.catchups, this.sessions, forwarder, this.metrics, onError);
  }

  async start(): Promise<void> {
    await this.ports.broker.listen(this.brokerEvents());
    this.userLimits.start();
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    const beat = () => this.report(InternalOp.GATEWAY_HEARTBEAT, GATEWAY_ITSELF, '-');
    beat();
    this.heartbeatTimer = setInterval(beat, this.options.heartbeatIntervalMs);
  }

  private brokerEvents(): BrokerEventHandler {
    const guarded = (deliver: () => void) => {
      try {
        deliver();
      } catch (err) {
        this.logger.error({ err }, 'bad delivery dropped');
      }
    };
    return {
      onRoomEvent: (roomId, payload) => {
        const { seq, committedAt, frame } = decodeRoomEvent(payload);
        this.hub.publish(roomId, frame);
        if (committedAt !== undefined) this.metrics.deliveryLatency.observe((Date.now() - committedAt) / 1000);
        if (this.catchups.size > 0) this.catchups.hold(roomId, seq, frame);
        this.metrics.roomEvents.inc();
      },
      onConnectionDelivery: (payload) => guarded(() => this.deliveries.toConnection(payload)),
      onUserDelivery: (userId, payload) => guarded(() => this.deliveries.toUser(userId, payload)),
      onBroadcast: (frame) => this.hub.publish(EVERYONE_TOPIC, frame),
      onResubscribed: () => this.closeAllToResume(),
    };
  }

  /**
   * The state of a socket about to be accepted: authenticated when the query carries a good
   * token, rejected (closed 4001 on open) when a bad one, waiting for an auth frame when none.
   * uWS copies these properties onto the socket: only what this socket needs is created (see
   * ConnectionData), always in the same order so that sockets share their V8 shapes.
   */
  connectionFor(token: string | undefined): ConnectionData {
    if (!token) return this.newConnection(undefined, undefined);
    let session: TokenSession;
    try {
      session = this.tokens.verifySession(token);
    } catch (err) {
      const data = this.newConnection(undefined, undefined);
      data.rejected = (err as Error).message;
      this.metrics.authFailures.inc({ reason: 'bad_token' });
      return data;
    }
    const data = this.newConnection(session.user, session.expiresAt);
    data.issuedAtMs = session.issuedAtMs;
    return data;
  }

  private newConnection(user: User | undefined, expiresAt: number | undefined): ConnectionData {
    return { id: newConnectionId(), user, expiresAt, openedAt: Date.now(), ready: false, closed: false, rooms: NO_ROOMS };
  }

  onOpen(socket: ClientSocket): void {
    const data = socket.getUserData();
    if (data.rejected) return socket.end(CloseCode.UNAUTHORIZED, data.rejected.slice(0, 120));
    this.metrics.connections.inc();
    this.waiting.add(socket);
    if (!data.user) return;
    data.queued = [];
    const session: TokenSession = { user: data.user, issuedAtMs: data.issuedAtMs ?? 0, expiresAt: data.expiresAt ?? 0 };
    this.sessions.open(socket, session).catch((err) => this.failOpen(socket, err));
  }

  onMessage(socket: ClientSocket, raw: string, bytes: number): void {
    this.frames.handle(socket, raw, bytes);
  }

  /** `code`: the close code uWS reports (ours, the client's, or 1006 when the connection just ended). */
  onClose(socket: ClientSocket, code: number): void {
    this.metrics.closes.inc({ code: closeCodeLabel(code) });
    const data = socket.getUserData();
    if (data.rejected) return;
    data.closed = true;
    this.metrics.connections.dec();
    this.waiting.delete(socket);
    this.sessions.forget(socket);
    for (const roomId of data.rooms) this.catchups.cancel(socket, roomId);
    this.rooms.releaseAll(socket);
    if (data.user && this.registry.get(data.id) === socket) this.registry.remove(socket, data.user.id);
    if (data.userChannel) this.userChannels.release(data.user!.id);
    if (data.ready) this.report(InternalOp.PRESENCE_DISCONNECT, data.user!, data.id);
  }

  /**
   * Whatever the broker published while our link was down is lost for our sockets, and Redis
   * itself may have restarted (room sets, presence gone). Only a new session is gapless:
   * close every socket with 1012 so clients reconnect and `resume` — they get exactly what
   * they missed, through the normal path.
   */
  private closeAllToResume(): void {
    const sockets = [...this.registry.all(), ...this.waiting];
    this.logger.warn({ sockets: sockets.length }, 'redis subscription restored: asking every client to reconnect');
    for (const socket of sockets) socket.end(CloseCode.RECONNECT, 'reconnect and resume');
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

  /** Set once drain() began: readiness fails and new sockets are refused. */
  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /**
   * The first step of a graceful stop: from now on the gateway is not ready (a load balancer
   * stops sending it clients) and refuses new sockets; the open ones are closed with 1001 in
   * small batches spread over `windowMs`, so their clients reconnect to the other gateways —
   * and resume there — a few at a time instead of all in one instant.
   */
  async drain(windowMs: number): Promise<void> {
    this.drainingSince ??= Date.now();
    const sockets = [...this.registry.all(), ...this.waiting];
    this.logger.info({ sockets: sockets.length, windowMs }, 'draining: closing sockets gradually');
    await closeGradually(sockets, windowMs, (socket) => {
      if (!socket.getUserData().closed) socket.end(CloseCode.GOING_AWAY, 'gateway shutting down');
    });
  }

  /** Closes every socket still open with 1001 so clients reconnect to another gateway. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.heartbeatTimer);
    this.userLimits.stop();
    for (const socket of [...this.registry.all(), ...this.waiting]) socket.end(CloseCode.GOING_AWAY, 'gateway shutting down');
  }

  private failOpen(socket: ClientSocket, err: unknown): void {
    this.logger.warn({ err }, 'session open failed');
    if (!socket.getUserData().closed) socket.end(TRY_AGAIN_LATER, 'backend unavailable, reconnect later');
  }

  /**
   * One timer for all sockets (no per-socket timers): auth, hello, catch-up and token
   * deadlines. Expired tokens are found by second (SessionExpiries), not by visiting sockets.
   */
  sweep(now = Date.now()): void {
    this.metrics.roomChannels.set(this.rooms.channelCount);
    // A catch-up the messages service never answered: go live with what was held.
    this.catchups.expire(this.options.authTimeoutMs, now);
    for (const socket of this.expiries.due(Math.floor(now / 1000))) {
      if (socket.getUserData().closed) continue;
      this.metrics.authFailures.inc({ reason: 'expired' });
      socket.end(CloseCode.UNAUTHORIZED, 'token expired');
    }
    this.userLimits.forgetIdle();
    const deadline = now - this.options.authTimeoutMs;
    for (const socket of this.waiting) {
      const data = socket.getUserData();
      if (data.openedAt > deadline) continue;
      this.waiting.delete(socket);
      if (data.user) socket.end(TRY_AGAIN_LATER, 'backend did not answer, reconnect later');
      else {
        this.metrics.authFailures.inc({ reason: 'timeout' });
        socket.end(CloseCode.UNAUTHORIZED, 'authentication timeout');
      }
    }
  }
}
