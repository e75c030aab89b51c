import { ClientSocket, ConnectionData } from '@chat/gateway-core';
import { DoorCloseCode } from './door-close';
import { DoorTopicHub } from './door-topic-hub';

/** How much a session's consumer may fall behind before it is cut off. */
export interface DoorQueueBudget {
  maxBytes: number;
  maxFrames: number;
}

/** Who receives a door socket's frames and its end: its DoorSession. */
export interface DoorSocketListener {
  /** `reply` and `hello` frames: answers to the session itself, never queued. */
  onAnswer(frame: string): void;
  /** A new event frame waits in the queue (a pulling consumer may take it). */
  onQueued(): void;
  onEnd(code: number, reason: string): void;
}

/** uWS's send() results, which the gateway reads the same way. */
export const SENT = 1;
export const BUFFERED = 0;
export const DROPPED = 2;

// Frames are built by libs/protocol's builders: an answer starts with one of these.
const REPLY_PREFIX = '{"type":"reply"';
const HELLO_PREFIX = '{"type":"hello"';

/**
 * A gateway-core ClientSocket that lives in the door's process. Answers (replies, hello) go
 * to the session at once; events go to a push consumer while it keeps up, and otherwise
 * wait in a queue — bounded like a WebSocket's send buffer: past the byte or frame budget
 * the socket is ended (4009 SLOW_CONSUMER), so a slow reader never grows memory or holds others back.
 * A session that does not want events (a pooled one for unary calls) drops them unseen.
 */
export class DoorSocket implements ClientSocket {
  private readonly queue: string[] = [];
  private head = 0;
  private queuedBytes = 0;
  private push?: (frame: string) => boolean;
  private paused = false;
  private ended = false;

  constructor(
    private readonly data: ConnectionData,
    private readonly hub: DoorTopicHub,
    private readonly onClose: (socket: ClientSocket, code: number) => void,
    private readonly budget: DoorQueueBudget,
    private readonly listener: DoorSocketListener,
    private readonly keepsEvents: boolean,
  ) {}

  getUserData(): ConnectionData {
    return this.data;
  }

  send(message: string): number {
    if (this.ended) return DROPPED;
    if (message.startsWith(REPLY_PREFIX) || message.startsWith(HELLO_PREFIX)) {
      this.listener.onAnswer(message);
      return SENT;
    }
    if (!this.keepsEvents) return SENT;
    if (this.push && !this.paused && this.queued === 0) {
      if (!this.push(message)) this.paused = true;
      return SENT;
    }
    if (this.queued + 1 > this.budget.maxFrames || this.queuedBytes + message.length > this.budget.maxBytes) {
      this.end(DoorCloseCode.SLOW_CONSUMER, 'reader too slow: reconnect and resume');
      return DROPPED;
    }
    this.queue.push(message);
    this.queuedBytes += message.length;
    this.listener.onQueued();
    return BUFFERED;
  }

  /** The oldest queued event, for a pulling consumer. */
  take(): string | undefined {
    if (this.head === this.queue.length) return undefined;
    const frame = this.queue[this.head];
    this.queue[this.head++] = '';
    this.queuedBytes -= frame.length;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return frame;
  }

  /**
   * Hands events to `consumer` as they come (queued ones first). It returns false when it
   * cannot take more for now (a stream's write() over its high-water mark): events queue
   * until resume().
   */
  pushTo(consumer: (frame: string) => boolean): void {
    this.push = consumer;
    this.resume();
  }

  resume(): void {
    this.paused = false;
    let frame: string | undefined;
    while (!this.paused && !this.ended && (frame = this.take()) !== undefined) {
      if (!this.push!(frame)) this.paused = true;
    }
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  subscribe(topic: string): boolean {
    return this.hub.subscribe(topic, this);
  }

  unsubscribe(topic: string): boolean {
    return this.hub.unsubscribe(topic, this);
  }

  /** Ends a socket the gateway never saw opened (a draining door refusing it): no close handler. */
  refuse(code: number, reason: string): void {
    this.ended = true;
    this.listener.onEnd(code, reason);
  }

  /** As uWS does, the gateway's close handler runs from end(), once. */
  end(code: number = DoorCloseCode.NORMAL, reason = ''): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.onClose(this, code);
    this.listener.onEnd(code, reason);
  }
}
