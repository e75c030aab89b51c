/**
 * Counters in fixed windows shared by every gateway (the per-user rate limits).
 *
 * Guarantees an implementation gives:
 * - `add` applies every increment atomically per key and answers, per key in order, the
 *   key's total in its current window and how long until that window ends.
 * - A window starts with the first increment of a key and lasts `windowMs`; the count then
 *   starts from zero again.
 * - One call is one round trip, whatever the number of keys (gateways batch all their users).
 */
export interface RateLimitStore {
  add(increments: RateIncrement[], windowMs: number): Promise<RateCount[]>;
}

export interface RateIncrement {
  key: string;
  by: number;
}

export interface RateCount {
  total: number;
  resetInMs: number;
}
