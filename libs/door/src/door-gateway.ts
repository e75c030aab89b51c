import { TokenService } from '@chat/auth';
import { ClientSocket, Gateway, GatewayOptions, GatewayPorts } from '@chat/gateway-core';
import { Logger } from '@chat/observability';
import { DoorCloseCode } from './door-close';
import { DoorSession } from './door-session';
import { DoorQueueBudget, DoorSocket } from './door-socket';
import { DoorTopicHub } from './door-topic-hub';

export interface DoorLimits {
  /** How far a session's reader may fall behind before it is cut off (4009). */
  budget: DoorQueueBudget;
  /** A request without a reply by then is rejected UNAVAILABLE. */
  requestTimeoutMs: number;
}

export interface OpenSessionOptions {
  /**
   * Keep room and user events for a reader (a stream, a subscription). Off for sessions that
   * only make requests (pooled for unary calls): their events are dropped unseen.
   */
  events?: boolean;
}

/**
 * A gateway-core Gateway for a door that is not a WebSocket: the door's clients are
 * in-process sessions (DoorSession) on DoorSockets, with room fan-out through a
 * DoorTopicHub. Everything else — auth, hello, rooms, catch-up, resume, rate limits,
 * forwarding into the streams, presence — is the Gateway's, unchanged.
 */
export class DoorGateway {
  readonly hub = new DoorTopicHub();
  readonly gateway: Gateway;
  private sessions = 0;

  constructor(
    options: GatewayOptions,
    ports: GatewayPorts,
    tokens: TokenService,
    private readonly limits: DoorLimits,
    logger: Logger,
  ) {
    this.gateway = new Gateway(options, ports, tokens, this.hub, logger);
  }

  start(): Promise<void> {
    return this.gateway.start();
  }

  /**
   * A new session for a bearer token. It always returns a session: a missing, bad, expired
   * or revoked token makes its `ready` reject (4001), as a draining door does (1001).
   */
  openSession(token: string, options: OpenSessionOptions = {}): DoorSession {
    const session = new DoorSession(this.gateway, this.limits.requestTimeoutMs);
    const data = this.gateway.connectionFor(token || undefined);
    // A bare WebSocket may still send an auth frame; a door's client has given all it will.
    if (!token) data.rejected = 'missing bearer token';
    const socket = new DoorSocket(data, this.hub, (s, code) => this.onClose(s, code), this.limits.budget, session, options.events ?? true);
    session.attach(socket);
    if (this.gateway.draining) {
      socket.refuse(DoorCloseCode.GOING_AWAY, 'gateway shutting down');
      return session;
    }
    this.sessions++;
    this.gateway.onOpen(socket);
    return session;
  }

  private onClose(socket: ClientSocket, code: number): void {
    this.sessions--;
    this.gateway.onClose(socket, code);
  }

  stats() {
    return { ...this.gateway.stats(), sessions: this.sessions, topics: this.hub.topicCount };
  }

  get draining(): boolean {
    return this.gateway.draining;
  }

  /** Not ready, new sessions refused, open ones closed 1001 a few at a time over `windowMs`. */
  drain(windowMs: number): Promise<void> {
    return this.gateway.drain(windowMs);
  }

  stop(): Promise<void> {
    return this.gateway.stop();
  }
}
