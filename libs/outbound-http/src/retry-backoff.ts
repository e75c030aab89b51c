/** The longest Retry-After honoured (an endpoint asking for a day is treated as six hours). */
const MAX_RETRY_AFTER_MS = 6 * 3600_000;

/** A failed try that may succeed later, with how long the other side asked us to wait (Retry-After). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * A BullMQ backoff strategy: the delay before try `attemptsMade + 1` is exponential from
 * `baseMs` with full jitter (retries of many jobs failing together spread out instead of
 * coming back in waves), but never sooner than the endpoint's Retry-After.
 */
export function fullJitterBackoff(baseMs: number, random: () => number = Math.random) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const exponential = Math.floor(random() * baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const asked = err instanceof RetryLater ? (err.retryAfterMs ?? 0) : 0;
    return Math.max(exponential, asked);
  };
}

/** Retry-After as seconds or an HTTP date (RFC 9110), in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
