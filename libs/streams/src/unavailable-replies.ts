import { StreamEntry } from '@chat/redis';

/**
 * One batch's promise to its senders while a transient error (the database away) holds it
 * back: past `afterMs` they are told UNAVAILABLE — not known to be stored, retry with the
 * same clientMsgId — instead of waiting with no answer, and the batch keeps retrying,
 * unacknowledged. Remembers whom it told, so that the batch's eventual commit does not
 * answer the same ref a second time (the protocol gives one reply per ref).
 */
export class UnavailableReplies {
  /** Ids of the entries whose senders were told UNAVAILABLE. */
  readonly answered = new Set<string>();
  private readonly due: number;

  constructor(
    /** Undefined: never answer early (a handler that cannot, or a service that must not). */
    private readonly afterMs: number | undefined,
    startedAt = Date.now(),
  ) {
    this.due = afterMs === undefined ? Infinity : startedAt + afterMs;
  }

  /** Whether the senders of `entries` not answered yet are owed UNAVAILABLE now. */
  dueFor(entries: StreamEntry[], now = Date.now()): boolean {
    return now >= this.due && entries.some((e) => !this.answered.has(e.id));
  }

  /** How long a retry may wait before the replies fall due (so they are not late by a whole backoff). */
  waitBefore(backoffMs: number, now = Date.now()): number {
    const untilDue = this.due - now;
    return untilDue > 0 ? Math.min(backoffMs, untilDue) : backoffMs;
  }

  markAnswered(entries: StreamEntry[]): void {
    for (const e of entries) this.answered.add(e.id);
  }

  /** Suggested wait for the client: about as long as we waited before answering. */
  get retryAfterMs(): number {
    return this.afterMs ?? 0;
  }
}
