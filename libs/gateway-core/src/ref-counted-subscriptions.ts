/** What a confirmed entry holds instead of its own promise chain: one per user adds up at 50k sockets. */
const CONFIRMED: Promise<void> = Promise.resolve();

/**
 * Subscribes to a Redis channel when the first local user of it appears and unsubscribes
 * after the last one leaves (DESIGN.md: ref-counted per gateway). Counting is synchronous,
 * so concurrent acquires share one SUBSCRIBE and wait for the same confirmation.
 */
export class RefCountedSubscriptions {
  private readonly entries = new Map<string, { count: number; ready: Promise<void> }>();

  constructor(
    private readonly subscribe: (name: string) => Promise<unknown>,
    private readonly unsubscribe: (name: string) => Promise<unknown>,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Resolves once Redis confirmed the subscription. */
  acquire(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry) {
      entry.count++;
      return entry.ready;
    }
    const ready: Promise<void> = this.subscribe(name).then(
      () => {
        const current = this.entries.get(name);
        if (current?.ready === ready) current.ready = CONFIRMED;
      },
      (err) => {
        // Only this attempt's entry is forgotten, never a newer one of the same name.
        if (this.entries.get(name)?.ready === ready) this.entries.delete(name);
        throw err;
      },
    );
    this.entries.set(name, { count: 1, ready });
    return ready;
  }

  release(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    if (--entry.count > 0) return;
    this.entries.delete(name);
    void this.unsubscribe(name).catch(() => undefined);
  }
}
