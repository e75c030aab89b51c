import { GatewayCloseCode } from '@chat/gateway-core';
import { CloseCode, ErrorBody, ErrorCode } from '@chat/protocol';

/**
 * Close codes of door sessions: the WebSocket numbering the gateway already speaks (4001 bad
 * token, 1001 shutting down, 1012 reconnect, 1013 try later, 4008 too many connections, 4009
 * reader too slow), plus the client's own close.
 */
export const DoorCloseCode = {
  ...CloseCode,
  ...GatewayCloseCode,
  /** The door's client closed the session itself. */
  NORMAL: 1000,
} as const;

/** How a session ended, and whether the server ended it (a client's own close() is not). */
export interface DoorClose {
  code: number;
  reason: string;
  byServer: boolean;
}

/** The session ended (a bad or expired token before hello, a slow consumer, a shutdown…). */
export class DoorClosedError extends Error {
  constructor(readonly close: DoorClose) {
    super(close.reason || `session closed (${close.code})`);
    this.name = 'DoorClosedError';
  }
  get code(): number {
    return this.close.code;
  }
}

/** A request answered with an error reply: the protocol's code, message and retryAfterMs. */
export class DoorRequestError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;
  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'DoorRequestError';
    this.code = body.code;
    this.retryAfterMs = body.retryAfterMs;
  }
}
