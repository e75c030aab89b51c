import { ConnectionData } from './client-socket';

export interface BucketRate {
  perSecond: number;
  burst: number;
}

export interface ConnectionRates {
  frames: BucketRate;
  sends: BucketRate;
}

/**
 * Token buckets per connection, local to the gateway (no I/O): one for every frame, one for
 * sends. The bucket state is three numbers on the connection itself, refilled lazily when a
 * frame arrives, so there is no timer and no object per socket. A connection starts with full
 * buckets without storing them: the numbers appear at its first limited frame (an idle socket
 * never carries them).
 */
export class ConnectionRateLimiter {
  constructor(private readonly rates: ConnectionRates) {}

  /** 0 when the frame may pass (tokens taken), else how long to wait for one, in ms. */
  take(data: ConnectionData, isSend: boolean, now: number): number {
    const elapsed = (now - (data.refilledAt ?? now)) / 1000;
    data.refilledAt = now;
    const { frames, sends } = this.rates;
    data.frameTokens = Math.min(frames.burst, (data.frameTokens ?? frames.burst) + elapsed * frames.perSecond);
    data.sendTokens = Math.min(sends.burst, (data.sendTokens ?? sends.burst) + elapsed * sends.perSecond);
    if (data.frameTokens < 1) return Math.ceil(((1 - data.frameTokens) / frames.perSecond) * 1000);
    if (isSend && data.sendTokens < 1) return Math.ceil(((1 - data.sendTokens) / sends.perSecond) * 1000);
    data.frameTokens -= 1;
    if (isSend) data.sendTokens -= 1;
    return 0;
  }
}
