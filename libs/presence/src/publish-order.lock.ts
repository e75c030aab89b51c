/**
 * One turn at a time for "change presence state, then publish what changed". The batch of
 * stream entries and each sweep step both change the same users and rooms; if a sweep's
 * publish could overtake a batch's (or the reverse), subscribers would keep a stale status
 * or typing list. A turn lasts from the first state change until the events are published.
 */
export class PublishOrderLock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves when it is the caller's turn, with the (idempotent) function that ends it. */
  async acquire(): Promise<() => void> {
    let end!: () => void;
    const turn = new Promise<void>((resolve) => (end = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    return end;
  }

  /** Runs `work` in its own turn. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const end = await this.acquire();
    try {
      return await work();
    } finally {
      end();
    }
  }
}
