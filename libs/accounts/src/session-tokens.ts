import { ChatError, ErrorCode, User } from '@chat/protocol';
import { jwtVerify, SignJWT } from 'jose';

/** What a verified session token says. */
export interface SessionClaims {
  user: User;
  /**
   * When it was issued, in ms: the `iatMs` claim, or `iat` (seconds) × 1000 for tokens without
   * it. Revocation (`tokensRevokedBefore`, ms) is compared with this: `iat` alone cannot tell
   * a token issued just before a revocation from one issued just after, in the same second.
   */
  issuedAtMs: number;
  /** `exp`, in ms. */
  expiresAtMs: number;
}

export interface VerifyOptions {
  /** Accept a token this long past its `exp` (a guest's proof of who it was); default 0. */
  expiredGraceSeconds?: number;
}

/**
 * The api's session tokens: HS256 JWTs with `sub` (user id), `username`, `iat`, `exp` and
 * `iatMs` — the same tokens libs/auth's TokenService verifies at the gateway (it ignores the
 * extra claim), with the millisecond issue time the api's revocation check needs.
 */
export class SessionTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(user: User, nowMs = Date.now()): Promise<string> {
    const now = Math.floor(nowMs / 1000);
    return new SignJWT({ username: user.username, iatMs: nowMs })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .sign(this.key);
  }

  /** The token's claims; UNAUTHORIZED when malformed, forged, expired (past the grace) or without `exp`. */
  async verify(token: string, { expiredGraceSeconds = 0 }: VerifyOptions = {}): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'iat', 'exp'],
        // jose applies the tolerance to exp and nbf; nothing we sign has nbf.
        clockTolerance: expiredGraceSeconds,
      });
      const { sub, username, iat, exp, iatMs } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || typeof username !== 'string') throw new Error('token lacks sub or username');
      if (typeof iat !== 'number' || typeof exp !== 'number') throw new Error('token lacks iat or exp');
      // iatMs must agree with iat (same second), or a token could claim a later issue time.
      const precise = typeof iatMs === 'number' && Math.floor(iatMs / 1000) === iat ? iatMs : iat * 1000;
      return { user: { id: sub, username }, issuedAtMs: precise, expiresAtMs: exp * 1000 };
    } catch (err) {
      throw new ChatError(ErrorCode.UNAUTHORIZED, `invalid token: ${(err as Error).message}`);
    }
  }
}
