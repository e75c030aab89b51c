import { StreamEntry } from '@chat/redis';

/** Stream ids compare as (ms, seq) pairs, not as strings. */
function isAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}

/**
 * A shard worker's promise to the senders it cannot serve while a transient error (the
 * database away) holds its batch back: once a batch has waited `afterMs`, the senders of
 * the batch — and of the entries queued behind it, which cannot run before it — are told
 * UNAVAILABLE (not known to be stored; retry with the same clientMsgId) instead of waiting
 * with no answer, while the batch keeps retrying. It remembers whom it told until their
 * entries are committed, so that commit does not answer the same ref a second time (the
 * protocol gives one reply per ref). In memory: a new owner after a takeover does not know.
 */
export class UnavailableReplies {
  /** Ids of entries whose senders were told UNAVAILABLE and that are not committed yet. */
  readonly answered = new Set<string>();
  /** The newest entry answered: entries queued behind a batch are looked at from here on. */
  private newest?: string;

  /** Undefined: never answer early (a handler that cannot answer, a service that must not). */
  constructor(private readonly afterMs: number | undefined) {}

  /** When a batch that starts now is owed its UNAVAILABLE replies. */
  dueAt(startedAt = Date.now()): number {
    return this.afterMs === undefined ? Infinity : startedAt + this.afterMs;
  }

  /** Where to look for entries queued behind a batch that ends at `lastId` (past what was answered already). */
  peekFrom(lastId: string): string {
    return this.newest && isAfter(this.newest, lastId) ? this.newest : lastId;
  }

  /** Entries of `entries` whose senders were not told yet. */
  unanswered(entries: StreamEntry[]): StreamEntry[] {
    return entries.filter((e) => !this.answered.has(e.id));
  }

  markAnswered(entries: StreamEntry[]): void {
    for (const e of entries) {
      this.answered.add(e.id);
      if (!this.newest || isAfter(e.id, this.newest)) this.newest = e.id;
    }
  }

  /** The entries were committed (or handed over): nothing to remember about them. */
  settled(entries: StreamEntry[]): void {
    // Called for every committed batch: nothing to forget unless an outage answered someone.
    if (this.answered.size === 0) return;
    for (const e of entries) this.answered.delete(e.id);
    if (this.answered.size === 0) this.newest = undefined;
  }

  /** How long a retry may wait so that replies due at `dueAt` are not late by a whole backoff. */
  waitBefore(backoffMs: number, dueAt: number, now = Date.now()): number {
    const untilDue = dueAt - now;
    return untilDue > 0 ? Math.min(backoffMs, untilDue) : backoffMs;
  }

  /** Suggested wait for the client: about as long as a batch waited before it was answered. */
  get retryAfterMs(): number {
    return this.afterMs ?? 0;
  }
}
