import { Keys } from '@chat/redis';
import { MemoryRateLimitStore } from './ports/rate-limit-store.memory';
import { UserRateLimiter, UserRates } from './user-rate-limiter';

const RATES: UserRates = { windowMs: 3000, frames: 100, sends: 5, syncMs: 100 };

describe('UserRateLimiter', () => {
  let now: number;
  let store: MemoryRateLimitStore;
  /** Two gateways sharing one store. */
  let a: UserRateLimiter;
  let b: UserRateLimiter;

  beforeEach(() => {
    now = 1_000_000;
    store = new MemoryRateLimitStore(() => now);
    a = new UserRateLimiter(store, RATES, undefined, () => now);
    b = new UserRateLimiter(store, RATES, undefined, () => now);
  });

  it('admits frames far below the limit with no round trip, and counts them at the next sync', async () => {
    expect(a.take('u1', true)).toBe(0);
    expect(a.take('u1', false)).toBe(0);
    expect(a.take('u2', false)).toBe(0);
    expect(store.calls).toBe(0);
    await a.sync();
    expect(store.calls).toBe(1); // one round trip for every user of the gateway
    expect(store.counters.get(Keys.rateFrames('u1'))?.total).toBe(2);
    expect(store.counters.get(Keys.rateSends('u1'))?.total).toBe(1);
    expect(store.counters.get(Keys.rateFrames('u2'))?.total).toBe(1);
  });

  it('holds the limit across gateways: near it, a frame waits for the shared count', async () => {
    for (let i = 0; i < 3; i++) expect(await a.take('u1', true)).toBe(0);
    await a.sync();
    // Gateway b knows nothing yet: its first sends pass locally, then it must ask.
    expect(b.take('u1', true)).toBe(0);
    expect(b.take('u1', true)).toBe(0);
    const third = b.take('u1', true);
    expect(third).toBeInstanceOf(Promise);
    await expect(third).resolves.toBeGreaterThan(0); // 3 on a + 3 on b > 5
    expect(await b.take('u1', true)).toBe(3000); // known over: refused with no round trip
    now += 3000;
    expect(b.take('u1', true)).toBe(0); // a new window
  });

  it('keeps a user frames in arrival order when some wait', async () => {
    const order: number[] = [];
    for (let i = 0; i < 2; i++) expect(a.take('u1', true)).toBe(0);
    const waiting = Promise.resolve(a.take('u1', true)).then((w) => order.push(w === 0 ? 3 : -3));
    // Far below the frames limit, but behind a waiting frame: it waits too.
    const behind = a.take('u1', false);
    expect(behind).toBeInstanceOf(Promise);
    const after = Promise.resolve(behind).then((w) => order.push(w === 0 ? 4 : -4));
    await Promise.all([waiting, after]);
    expect(order).toEqual([3, 4]);
  });

  it('rejects waiting frames when the store fails, and reports it', async () => {
    const errors: unknown[] = [];
    const failing = new UserRateLimiter({ add: async () => Promise.reject(new Error('down')) }, RATES, (e) => errors.push(e), () => now);
    for (let i = 0; i < 2; i++) failing.take('u1', true);
    await expect(failing.take('u1', true)).rejects.toThrow('down');
    expect(errors).toHaveLength(1);
  });

  it('forgets users whose window ended', async () => {
    a.take('u1', false);
    await a.sync();
    a.forgetIdle();
    expect(a.size).toBe(1);
    now += 3000;
    a.forgetIdle();
    expect(a.size).toBe(0);
  });
});
