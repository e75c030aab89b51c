import { Backoff } from './backoff';

describe('Backoff (full jitter)', () => {
  it('doubles the ceiling from the initial delay up to the maximum', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.999999);
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(b.attempts).toBe(7);
  });

  it('draws every delay uniformly below its ceiling, down to 0', () => {
    const zero = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect([zero.next(), zero.next(), zero.next()]).toEqual([0, 0, 0]);
    const b = new Backoff({ initialMs: 100, maxMs: 1000 });
    for (let i = 0; i < 200; i++) {
      const ceiling = Math.min(1000, 100 * 2 ** b.attempts);
      const delay = b.next();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
    }
  });

  it('starts over after a reset, and stays finite after many attempts', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 5000 }, () => 0.5);
    for (let i = 0; i < 100; i++) b.next();
    expect(b.next()).toBe(2500);
    b.reset();
    expect(b.next()).toBe(50);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 500, maxMs: 100 })).toThrow(/initialMs <= maxMs/);
  });
});
