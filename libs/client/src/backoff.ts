export interface BackoffOptions {
  /** The first retry waits up to this long (default 250 ms). */
  initialMs?: number;
  /** No retry waits longer (default 30 s). */
  maxMs?: number;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): attempt n waits a uniformly random time in [0, min(max, initial × 2ⁿ)], so clients
 * that lost the same gateway at once do not all come back at once.
 */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(
    { initialMs = 250, maxMs = 30_000 }: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    if (!(initialMs > 0) || !(maxMs >= initialMs)) throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got ${initialMs} and ${maxMs}`);
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** Retries made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The wait before the next retry (and counts it). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
