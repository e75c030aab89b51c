import { ChatError, encodeDelivery, ErrorCode } from '@chat/protocol';
import { Channels, Keys } from '@chat/redis';
import type Redis from 'ioredis';

/** The close code and reason sockets of a user get when their tokens are revoked. */
export const TOKEN_REVOKED_CLOSE = { code: 4001, reason: 'token revoked' } as const;

/**
 * "Every token of this user issued before T is void", in Redis (`tokensRevokedBefore`), read
 * by the api's bearer guard and by gateways at connect; gateways also close the user's open
 * sockets on the `close` delivery published with it.
 */
export class TokenRevocations {
  constructor(
    private readonly redis: Redis,
    /** How long a revocation must be kept: no token issued before it is accepted after this. */
    private readonly keepMs: number,
  ) {}

  /** Ms since epoch before which the user's tokens are void; 0 when none were revoked. */
  async revokedBefore(userId: string): Promise<number> {
    const value = await unavailableOnError(this.redis.get(Keys.tokensRevokedBefore(userId)));
    const at = Number(value ?? 0);
    return Number.isFinite(at) ? at : 0;
  }

  /** Voids every token of the user issued before `at` and closes their open sockets. */
  async revokeAll(userId: string, at = Date.now()): Promise<void> {
    const results = await unavailableOnError(
      this.redis
        .multi()
        .set(Keys.tokensRevokedBefore(userId), String(at), 'PX', this.keepMs)
        .publish(Channels.user(userId), encodeDelivery({ close: { ...TOKEN_REVOKED_CLOSE } }))
        .exec(),
    );
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new ChatError(ErrorCode.UNAVAILABLE, 'could not revoke tokens, retry');
  }
}

/** A Redis failure is the backend being down (503, retry), not a bug of the request. */
export async function unavailableOnError<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    if (err instanceof ChatError) throw err;
    // The cause (host, port) goes to the log with the error, not to the client.
    throw Object.assign(new ChatError(ErrorCode.UNAVAILABLE, 'auth state unavailable, retry later'), { cause: err });
  }
}
