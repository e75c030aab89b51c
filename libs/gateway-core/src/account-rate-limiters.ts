import { isBotUserId } from '@chat/protocol';
import { UserRateLimiter } from './user-rate-limiter';

/**
 * The per-user limits by kind of account: bots (ids from newBotUserId) are counted against
 * their own limits (RATE_BOT_*), people against RATE_USER_*. Two limiters, one shape: the
 * frame handler asks with the user id alone, which says which kind it is.
 */
export class AccountRateLimiters implements Pick<UserRateLimiter, 'take' | 'start' | 'stop' | 'forgetIdle'> {
  constructor(
    private readonly people: UserRateLimiter,
    private readonly bots: UserRateLimiter,
  ) {}

  take(userId: string, isSend: boolean): number | Promise<number> {
    return (isBotUserId(userId) ? this.bots : this.people).take(userId, isSend);
  }

  start(): void {
    this.people.start();
    this.bots.start();
  }

  stop(): void {
    this.people.stop();
    this.bots.stop();
  }

  forgetIdle(): void {
    this.people.forgetIdle();
    this.bots.forgetIdle();
  }
}
