/**
 * What a test client received, in order, and the tests waiting on it by predicate (no
 * sleeps): shared by the WebSocket and gRPC test clients.
 */
export class Inbox<T> {
  readonly received: T[] = [];
  private readonly waiters: { pred: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  /** Keeps `item` and hands it to every waiter it matches. */
  push(item: T): void {
    this.received.push(item);
    for (const w of [...this.waiters]) {
      if (!w.pred(item)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(item);
    }
  }

  /** The first item, received from now on, that matches. */
  next(pred: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        pred,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves once `count` items (received so far or later) match. */
  async waitForCount(pred: (item: T) => boolean, count: number, timeoutMs: number, what: string): Promise<T[]> {
    const matching = () => this.received.filter(pred);
    const deadline = Date.now() + timeoutMs;
    while (matching().length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} ${what}, got ${matching().length}`);
      await this.next(pred, left, what).catch(() => undefined);
    }
    return matching();
  }
}
