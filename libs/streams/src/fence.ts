/**
 * Thrown when a former shard owner tries to commit or publish after it lost the shard (its
 * local lease deadline passed, the lease names another acquisition, or PostgreSQL holds a
 * newer epoch). The worker stops at once and acknowledges nothing: the new owner redoes it.
 */
export class FencedError extends Error {
  readonly fenced = true;
}

export function isFencedError(err: unknown): boolean {
  return (err as { fenced?: unknown })?.fenced === true || (err as { code?: unknown })?.code === FENCED_SQLSTATE;
}

/** The SQLSTATE PostgreSQL raises (chat_fence_check) when a write carries a stale epoch. */
export const FENCED_SQLSTATE = 'CHF01';

/**
 * What one acquisition of a shard lease entitles its holder to, and until when.
 * - `token` is the lease value in Redis: the batch commit (publish + XACK) runs only while
 *   the lease still holds it.
 * - `epoch` grows with every acquisition (kept in PostgreSQL): writes carry it and
 *   PostgreSQL refuses a stale one in the same transaction.
 * - `validUntil` is a local deadline a margin before the lease can expire (measured from
 *   when the last renewal was *sent*), so the holder stops before anyone else may start.
 */
export class ShardFence {
  private deadline: number;
  private revoked = false;

  constructor(
    readonly shard: number,
    readonly token: string,
    readonly epoch: number,
    readonly leaseKey: string,
    private readonly ttlMs: number,
    private readonly marginMs: number,
    sentAt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = sentAt + ttlMs - marginMs;
  }

  /** A renewal sent at `sentAt` succeeded. */
  renewed(sentAt: number): void {
    this.deadline = Math.max(this.deadline, sentAt + this.ttlMs - this.marginMs);
  }

  /** The shard is gone (lease refused or handed back): nothing may commit any more. */
  revoke(): void {
    this.revoked = true;
  }

  get valid(): boolean {
    return !this.revoked && this.now() < this.deadline;
  }

  get validForMs(): number {
    return this.revoked ? 0 : Math.max(0, this.deadline - this.now());
  }

  /** Call before committing to PostgreSQL and before publishing. */
  assertValid(): void {
    if (!this.valid) throw new FencedError(`shard ${this.shard}: lease ${this.revoked ? 'lost' : 'deadline passed'}; not committing`);
  }
}
