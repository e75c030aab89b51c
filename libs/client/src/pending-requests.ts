import { ChatRequestError, RequestTimeoutError } from './errors';
import type { ErrorCode } from '../../protocol/src/wire';

interface Pending {
  op: string;
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ReplyFrame {
  ref: string;
  ok: boolean;
  data?: unknown;
  error?: { code: ErrorCode; message: string; retryAfterMs?: number };
}

/** Requests on the wire, by `ref`: each settles with its reply, its timeout, or the connection's loss. */
export class PendingRequests {
  private readonly byRef = new Map<string, Pending>();
  private refs = 0;

  /** Registers a request and returns its ref and the promise of its reply's data. */
  open(op: string, timeoutMs: number): { ref: string; reply: Promise<unknown> } {
    const ref = `c${(++this.refs).toString(36)}`;
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.byRef.delete(ref);
        reject(new RequestTimeoutError(op, timeoutMs));
      }, timeoutMs);
      this.byRef.set(ref, { op, resolve, reject, timer });
    });
    return { ref, reply };
  }

  /** Settles the request of a reply; false when no request has that ref (a send's, or a late one). */
  settle(frame: ReplyFrame): boolean {
    const pending = this.byRef.get(frame.ref);
    if (!pending) return false;
    this.byRef.delete(frame.ref);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.data ?? {});
    else pending.reject(replyError(frame));
    return true;
  }

  /** The connection dropped, or the client closed: nobody will answer these. */
  failAll(error: (op: string) => Error): void {
    for (const [ref, pending] of this.byRef) {
      this.byRef.delete(ref);
      clearTimeout(pending.timer);
      pending.reject(error(pending.op));
    }
  }
}

export function replyError(frame: ReplyFrame): ChatRequestError {
  const error = frame.error ?? { code: 'INTERNAL' as ErrorCode, message: 'reply without an error body' };
  return new ChatRequestError(error.code, error.message, error.retryAfterMs);
}
