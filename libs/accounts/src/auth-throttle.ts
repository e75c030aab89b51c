import { ChatError, ErrorCode } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { WindowCounter } from './window-counter';

export interface AuthThrottleLimits {
  login: { windowMs: number; perAccount: number; perAddress: number };
  signup: { windowMs: number; perAddress: number };
}

/**
 * Slows down password guessing and account farming (`config.auth.throttle`): failed logins
 * per account and per client address, guest/register attempts per address, each a fixed
 * window in Redis shared by every api replica. Over a limit: RATE_LIMITED with the time left.
 */
export class AuthThrottle {
  constructor(
    private readonly counter: WindowCounter,
    private readonly limits: AuthThrottleLimits,
  ) {}

  /**
   * Runs a login attempt if neither the account nor the address is over its limit. Every
   * attempt counts up front (so a burst in parallel cannot slip through); one that succeeds,
   * or fails for another reason than a wrong credential, is taken back.
   */
  async login<T>(username: string, address: string, attempt: () => Promise<T>): Promise<T> {
    const { windowMs, perAccount, perAddress } = this.limits.login;
    const accountKey = Keys.loginFailuresOfAccount(encodeURIComponent(username.toLowerCase()));
    const addressKey = Keys.loginFailuresFromAddress(address);
    const [account, from] = await Promise.all([this.counter.hit(accountKey, windowMs), this.counter.hit(addressKey, windowMs)]);
    const over = [account.count > perAccount ? account : undefined, from.count > perAddress ? from : undefined];
    if (over.some(Boolean)) {
      // A refused attempt is no guess: it does not extend anything either.
      await Promise.all([this.counter.unhit(accountKey), this.counter.unhit(addressKey)]);
      throw rateLimited('too many failed logins, try again later', over);
    }
    try {
      const result = await attempt();
      await Promise.all([this.counter.reset(accountKey), this.counter.unhit(addressKey)]);
      return result;
    } catch (err) {
      if (!(err instanceof ChatError && err.code === ErrorCode.UNAUTHORIZED)) {
        await Promise.all([this.counter.unhit(accountKey), this.counter.unhit(addressKey)]);
      }
      throw err;
    }
  }

  /** Runs a guest login or registration if the address is not over its limit; each attempt counts. */
  async signup<T>(address: string, attempt: () => Promise<T>): Promise<T> {
    const { windowMs, perAddress } = this.limits.signup;
    const key = Keys.signupsFromAddress(address);
    const hit = await this.counter.hit(key, windowMs);
    if (hit.count > perAddress) {
      await this.counter.unhit(key);
      throw rateLimited('too many sign-ups from this address, try again later', [hit]);
    }
    return attempt();
  }
}

function rateLimited(message: string, over: ({ resetInMs: number } | undefined)[]): ChatError {
  const retryAfterMs = Math.max(1, ...over.map((o) => o?.resetInMs ?? 0));
  return new ChatError(ErrorCode.RATE_LIMITED, message, retryAfterMs);
}
