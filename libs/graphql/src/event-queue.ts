/**
 * A subscription's source stream: events pushed by the session's listener as they arrive,
 * pulled by graphql-ws at the pace the socket writes them. Order is kept. A reader that falls
 * `limit` events behind gets `overflow()` as an error instead of a growing buffer (its client
 * re-reads history, as after any lost connection).
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  /** Readers waiting for an event, first come first served (for-await has one at a time). */
  private readonly waiters: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  private failure: unknown;
  private ended = false;

  constructor(
    private readonly limit: number,
    private readonly overflow: () => Error,
    /** Called once when the stream ends, whichever way (the reader stopped, or it failed). */
    private readonly onEnd: () => void,
  ) {}

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value: item, done: false });
    } else if (this.items.length >= this.limit) {
      this.fail(this.overflow());
    } else {
      this.items.push(item);
    }
  }

  /** Ends the stream with an error, after the events already queued. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.end();
    // A waiting reader means nothing is queued: the first gets the error, the rest the end.
    const [first, ...rest] = this.waiters.splice(0);
    if (first) {
      this.failure = undefined;
      first.reject(error);
    }
    for (const waiter of rest) waiter.resolve({ value: undefined, done: true });
  }

  /** Ends the stream after the events already queued (the reader gets them, then done). */
  finish(): void {
    if (this.ended) return;
    this.end();
    // A waiting reader means nothing is queued.
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.failure = undefined;
    this.end();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}
