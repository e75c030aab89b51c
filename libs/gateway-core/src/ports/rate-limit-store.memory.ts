import { RateCount, RateIncrement, RateLimitStore } from './rate-limit-store';

/** Fixed windows in a map, for tests; `now` is injectable so windows end without waiting. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly counters = new Map<string, { total: number; endsAt: number }>();
  /** Round trips made (one per `add`). */
  calls = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async add(increments: RateIncrement[], windowMs: number): Promise<RateCount[]> {
    this.calls++;
    const now = this.now();
    return increments.map(({ key, by }) => {
      let counter = this.counters.get(key);
      if (!counter || counter.endsAt <= now) this.counters.set(key, (counter = { total: 0, endsAt: now + windowMs }));
      counter.total += by;
      return { total: counter.total, resetInMs: counter.endsAt - now };
    });
  }
}
