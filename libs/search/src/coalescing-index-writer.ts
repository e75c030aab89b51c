import { isTransientError } from '@chat/streams';
import { ChatEvent } from './chat-event';
import { SearchIndex } from './search-index';

interface Waiting {
  event: ChatEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers the events handed to it in one turn of the event loop and applies them to the
 * index in ONE transaction: the transport hands a whole batch to the handlers at once
 * (unordered mode), so a batch of events costs one COMMIT instead of one each — at 1,000
 * messages/s that is what lets the index keep up. Events apply in any order (versions and
 * tombstones decide), so coalescing changes nothing but the cost. When a combined apply
 * fails for a reason other than the database being away, each event is applied alone, so
 * only the one at fault fails (and is dead-lettered by the transport).
 */
export class CoalescingIndexWriter {
  private waiting: Waiting[] = [];

  constructor(private readonly index: SearchIndex) {}

  apply(event: ChatEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ event, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      await this.index.apply(batch.map((w) => w.event));
      for (const w of batch) w.resolve();
    } catch (err) {
      if (batch.length === 1 || isTransientError(err)) return void batch.forEach((w) => w.reject(err));
      for (const w of batch) {
        await this.index.apply([w.event]).then(w.resolve, w.reject);
      }
    }
  }
}
