/** What a confirmed acquire returns: no promise per entry. */
const CONFIRMED: Promise<void> = Promise.resolve();

/** An entry whose SUBSCRIBE Redis has not confirmed yet: the acquires wait for `ready`. */
interface Pending {
  count: number;
  ready: Promise<void>;
}

/**
 * Subscribes to a Redis channel when the first local user of it appears and unsubscribes
 * after the last one leaves (DESIGN.md: ref-counted per gateway). Counting is synchronous,
 * so concurrent acquires share one SUBSCRIBE and wait for the same confirmation.
 * A confirmed entry is its count alone (a small integer in the Map, no object): one entry
 * per local user's `user:{id}` channel adds up at 50k sockets.
 */
export class RefCountedSubscriptions {
  private readonly entries = new Map<string, number | Pending>();

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
    if (typeof entry === 'number') {
      this.entries.set(name, entry + 1);
      return CONFIRMED;
    }
    if (entry) {
      entry.count++;
      return entry.ready;
    }
    const pending: Pending = { count: 1, ready: CONFIRMED };
    pending.ready = this.subscribe(name).then(
      () => {
        if (this.entries.get(name) === pending) this.entries.set(name, pending.count);
      },
      (err) => {
        // Only this attempt's entry is forgotten, never a newer one of the same name.
        if (this.entries.get(name) === pending) this.entries.delete(name);
        throw err;
      },
    );
    this.entries.set(name, pending);
    return pending.ready;
  }

  release(name: string): void {
    const entry = this.entries.get(name);
    if (entry === undefined) return;
    if (typeof entry === 'number') {
      if (entry > 1) return void this.entries.set(name, entry - 1);
    } else if (--entry.count > 0) return;
    this.entries.delete(name);
    void this.unsubscribe(name).catch(() => undefined);
  }
}
