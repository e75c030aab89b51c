import { AccountRateLimiters } from './account-rate-limiters';
import { MemoryRateLimitStore } from './ports/rate-limit-store.memory';
import { UserRateLimiter } from './user-rate-limiter';

describe('AccountRateLimiters', () => {
  const BOT = 'bot0123456789abcdef';
  let now: number;
  let limits: AccountRateLimiters;

  beforeEach(() => {
    now = 1_000_000;
    const store = new MemoryRateLimitStore(() => now);
    limits = new AccountRateLimiters(
      new UserRateLimiter(store, { windowMs: 3000, frames: 100, sends: 10, syncMs: 100 }, undefined, () => now),
      new UserRateLimiter(store, { windowMs: 3000, frames: 100, sends: 2, syncMs: 100 }, undefined, () => now),
    );
  });

  /** Sends taken until the first refusal (each waits for its sync when it has to). */
  async function sendsAdmitted(userId: string): Promise<number> {
    for (let n = 0; n < 50; n++) if ((await limits.take(userId, true)) > 0) return n;
    return 50;
  }

  it('counts a bot against the bot limits and a person against the user limits', async () => {
    expect(await sendsAdmitted(BOT)).toBe(2);
    expect(await sendsAdmitted('u0123456789abcdef')).toBe(10);
    expect(await sendsAdmitted('botany')).toBe(10); // not a bot id: a person
  });
});
