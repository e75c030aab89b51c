import { ErrorCode, EventDataMap, EventFrame, Op, OpData, ReplyDataOf, ServerFrame } from '@chat/protocol';
import { z } from 'zod';
import { DoorClose, DoorClosedError, DoorCloseCode, DoorRequestError } from './door-close';
import { DoorSocket, DoorSocketListener } from './door-socket';

/** The data of an op as a caller writes it (defaults not applied yet). */
export type OpInput<O extends Op> = z.input<(typeof OpData)[O]>;
export type Hello = EventDataMap['hello'];

/**
 * The hub hands one room event's frame (the same string) to every subscribed session in one
 * loop: it is parsed once for all of them, not once per session. So the event objects a
 * consumer gets are shared with the other sessions: read them, never change them.
 */
let lastFrame: string | undefined;
let lastEvent: EventFrame | undefined;
function parseEvent(frame: string): EventFrame {
  if (frame !== lastFrame) {
    lastEvent = JSON.parse(frame) as EventFrame;
    lastFrame = frame;
  }
  return lastEvent!;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** What a DoorSession needs from the gateway to exist: where its frames go. */
export interface DoorGatewaySide {
  onMessage(socket: DoorSocket, raw: string, bytes: number): void;
}

/**
 * One client of a door (a gRPC stream, a GraphQL subscription, a pooled session for unary
 * calls) as the gateway sees it: a connection like a WebSocket, with its own connection id,
 * rate limits, rooms and presence. `ready` resolves with hello (or rejects with a
 * DoorClosedError: a bad, expired or revoked token is 4001); `request` sends an op and
 * resolves with its reply's data (or rejects with a DoorRequestError carrying the protocol
 * code); events come through `events()` (pull) or `onEvent()` (push with flow control).
 */
export class DoorSession implements DoorSocketListener {
  readonly ready: Promise<Hello>;
  /** Resolves once, when the session ends, with who ended it and why. */
  readonly closed: Promise<DoorClose>;
  socket!: DoorSocket;
  private readonly pending = new Map<string, Pending>();
  private nextRef = 0;
  private closeInfo?: DoorClose;
  private closingByClient = false;
  private settleReady!: { resolve(hello: Hello): void; reject(err: Error): void };
  private settleClosed!: (close: DoorClose) => void;
  private wake?: () => void;
  private hello?: Hello;

  constructor(
    private readonly gateway: DoorGatewaySide,
    private readonly requestTimeoutMs: number,
  ) {
    this.ready = new Promise<Hello>((resolve, reject) => (this.settleReady = { resolve, reject }));
    // A caller that only awaits `closed` or a request must not see an unhandled rejection.
    this.ready.catch(() => undefined);
    this.closed = new Promise<DoorClose>((resolve) => (this.settleClosed = resolve));
  }

  /** Set by the door gateway right after construction (the socket needs the session as listener). */
  attach(socket: DoorSocket): void {
    this.socket = socket;
  }

  get connectionId(): string {
    return this.socket.getUserData().id;
  }

  get userId(): string | undefined {
    return this.hello?.userId;
  }

  /** How the session ended, once it has. */
  get closeReason(): DoorClose | undefined {
    return this.closeInfo;
  }

  request<O extends Op>(op: O, data?: OpInput<O>, timeoutMs = this.requestTimeoutMs): Promise<ReplyDataOf<O>> {
    if (this.closeInfo) return Promise.reject(new DoorClosedError(this.closeInfo));
    const ref = `d${++this.nextRef}`;
    const raw = JSON.stringify(data === undefined ? { type: op, ref } : { type: op, ref, data });
    return new Promise<ReplyDataOf<O>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new DoorRequestError({ code: ErrorCode.UNAVAILABLE, message: `no reply to ${op} within ${timeoutMs} ms` }));
      }, timeoutMs);
      this.pending.set(ref, { resolve: resolve as (data: unknown) => void, reject, timer });
      this.gateway.onMessage(this.socket, raw, Buffer.byteLength(raw));
    });
  }

  /**
   * Events (shared objects: see parseEvent) as the socket's consumer pulls them, in the order the gateway sent them. Ends when
   * the client closes the session; throws a DoorClosedError when the server ended it.
   */
  async *events(): AsyncGenerator<EventFrame> {
    for (;;) {
      const frame = this.socket.take();
      if (frame !== undefined) {
        yield parseEvent(frame);
        continue;
      }
      if (this.closeInfo) {
        if (this.closeInfo.byServer) throw new DoorClosedError(this.closeInfo);
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * Hands each event to `listener` as it comes, with the size of its frame (characters, about
   * bytes: what a listener counts against its own buffer); a listener returning false (its
   * buffer is full) gets nothing more until resume(). Meanwhile events queue within the
   * socket's budget.
   */
  onEvent(listener: (event: EventFrame, size: number) => boolean | void): void {
    this.socket.pushTo((frame) => listener(parseEvent(frame), frame.length) !== false);
  }

  resume(): void {
    this.socket.resume();
  }

  close(reason = 'closed by client'): void {
    this.closingByClient = true;
    this.socket.end(DoorCloseCode.NORMAL, reason);
  }

  onAnswer(raw: string): void {
    const frame = JSON.parse(raw) as ServerFrame;
    if (frame.type === 'hello') {
      this.hello = (frame as EventFrame<Hello>).data;
      return this.settleReady.resolve(this.hello);
    }
    if (!('ref' in frame)) return;
    const pending = this.pending.get(frame.ref);
    if (!pending) return;
    this.pending.delete(frame.ref);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.data);
    else pending.reject(new DoorRequestError(frame.error));
  }

  onQueued(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  onEnd(code: number, reason: string): void {
    this.closeInfo = { code, reason, byServer: !this.closingByClient };
    const error = new DoorClosedError(this.closeInfo);
    this.settleReady.reject(error);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.onQueued();
    this.settleClosed(this.closeInfo);
  }
}
