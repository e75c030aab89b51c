import type { ErrorCode } from '../../protocol/src/wire';

/** The server refused a request: `code` is one of the protocol's error codes. */
export class ChatRequestError extends Error {
  override readonly name = 'ChatRequestError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** With RATE_LIMITED (and FORBIDDEN for a muted member): when trying again can succeed. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** No reply came in time. The request may still have been applied (a send is retried by the client itself). */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  constructor(op: string, timeoutMs: number) {
    super(`no reply to ${op} within ${timeoutMs} ms`);
  }
}

/** The connection dropped before the reply came; whether the server applied the request is unknown. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
  constructor(op: string) {
    super(`the connection dropped before ${op} was answered`);
  }
}

/** The client was closed (by the app, or for good by the server: a revoked token, too many connections). */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  constructor(reason: string) {
    super(`the chat client is closed: ${reason}`);
  }
}
