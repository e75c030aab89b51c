import { fullJitterBackoff, RetryLater, retryAfterMs } from './retry-backoff';

describe('fullJitterBackoff', () => {
  it('grows exponentially from the base, with full jitter', () => {
    expect(fullJitterBackoff(1000, () => 0.999)(1)).toBe(999);
    expect(fullJitterBackoff(1000, () => 0.999)(4)).toBe(7992);
    expect(fullJitterBackoff(1000, () => 0)(4)).toBe(0);
    expect(fullJitterBackoff(1000, () => 0.5)(3)).toBe(2000);
  });

  it('never retries sooner than the Retry-After the endpoint sent', () => {
    expect(fullJitterBackoff(1000, () => 0)(1, 'push', new RetryLater('429', 30_000))).toBe(30_000);
    expect(fullJitterBackoff(1000, () => 0.999)(8, 'push', new RetryLater('503', 10))).toBe(127_872);
    expect(fullJitterBackoff(1000, () => 0)(1, 'push', new Error('other'))).toBe(0);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-03T10:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 10:01:00 GMT', now)).toBe(60_000);
  });
  it('ignores what it cannot read, clamps the past to now and caps at six hours', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('Thu, 03 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('86400', now)).toBe(6 * 3600_000);
  });
});
