import Redis from 'ioredis';
import { TokenService } from '@chat/auth';
import { CloseCode, newConnectionId, User } from '@chat/protocol';
import { Channels, roomOfChannel } from '@chat/redis';
import { Logger } from '@chat/observability';
import { ClientSocket, ConnectionData, TopicHub } from './client-socket';
import { ConnectionRegistry } from './connection-registry';
import { DeliveryRouter } from './delivery-router';
import { FrameHandler } from './frame-handler';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionOpener } from './session-opener';

export interface GatewayOptions {
  id: string;
  shards: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  maxPendingFrames: number;
}

/** Close code for "the backend did not answer in time: reconnect later" (RFC 6455 1013). */
const TRY_AGAIN_LATER = 1013;

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
  private readonly userChannels: RefCountedSubscriptions;
  private readonly sessions: SessionOpener;
  private readonly frames: FrameHandler;
  private readonly deliveries: DeliveryRouter;
  /** Sockets still without hello: the sweep closes those that wait too long. */
  private readonly waiting = new Set<ClientSocket>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: GatewayOptions,
    commands: Redis,
    private readonly subscriber: Redis,
    readonly tokens: TokenService,
    private readonly hub: TopicHub,
    private readonly logger: Logger,
  ) {
    const forwarder = new Forwarder(commands, options.id, options.shards);
    this.rooms = new RoomSubscriptions(
      new RefCountedSubscriptions(
        (roomId) => subscriber.ssubscribe(Channels.room(roomId)),
        (roomId) => subscriber.sunsubscribe(Channels.room(roomId)),
      ),
    );
    this.userChannels = new RefCountedSubscriptions(
      (userId) => subscriber.subscribe(Channels.user(userId)),
      (userId) => subscriber.unsubscribe(Channels.user(userId)),
    );
    this.sessions = new SessionOpener(this.registry, this.rooms, this.userChannels, commands, forwarder, options.heartbeatMs, (socket) => {
      this.waiting.delete(socket);
      this.frames.drainQueue(socket);
    });
    this.frames = new FrameHandler(tokens, this.sessions, forwarder, options.maxPendingFrames, this.metrics);
    const onError = (err: unknown) => this.logger.warn({ err }, 'delivery failed');
    this.deliveries = new DeliveryRouter(this.registry, this.rooms, this.sessions, forwarder, this.metrics, onError);
  }

  async start(): Promise<void> {
    const gatewayChannel = Channels.gateway(this.options.id);
    this.subscriber.on('smessage', (channel: string, message: string) => {
      this.hub.publish(roomOfChannel(channel), message);
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
    await this.subscriber.subscribe(gatewayChannel);
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
  }

  /** The per-connection state a new socket starts with; `user` when the query token was good. */
  newConnection(user?: User, rejected?: string): ConnectionData {
    return { id: newConnectionId(), user, openedAt: Date.now(), ready: false, closed: false, rooms: [], rejected };
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
    this.rooms.releaseAll(socket);
    if (data.user && this.registry.get(data.id) === socket) {
      this.registry.remove(socket, data.user.id);
      this.userChannels.release(data.user.id);
    }
  }

  stats() {
    return { connections: this.registry.size, roomChannels: this.rooms.channelCount };
  }

  /** Closes every socket with 1001 so clients reconnect to another gateway. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const socket of [...this.registry.all(), ...this.waiting]) socket.end(CloseCode.GOING_AWAY, 'gateway shutting down');
  }

  private failOpen(socket: ClientSocket, err: unknown): void {
    this.logger.warn({ err }, 'session open failed');
    if (!socket.getUserData().closed) socket.end(TRY_AGAIN_LATER, 'backend unavailable, reconnect later');
  }

  /** One timer for all sockets (no per-socket timers): auth and hello deadlines. */
  private sweep(): void {
    this.metrics.roomChannels.set(this.rooms.channelCount);
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
