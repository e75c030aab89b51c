import { ChatError, ErrorCode, User, userRef } from '@chat/protocol';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

/** What a verified token says about the session it opens. */
export interface TokenSession {
  user: User;
  /**
   * When it was issued, in ms: the `iatMs` claim when it agrees with `iat`, else `iat` × 1000
   * (0 when absent). Compared with the user's revocation time (ms): `iat` alone cannot tell a
   * token issued just before a revocation from one issued just after, in the same second.
   */
  issuedAtMs: number;
  /** `exp`, seconds since epoch: the gateway closes the socket then, unless refreshed. */
  expiresAt: number;
}

export interface VerifyOptions {
  /** Accept a token this long past its `exp` (a guest's proof of who it was); default 0. */
  expiredGraceSeconds?: number;
}

/**
 * Session tokens: HS256 JWTs with the user id as `sub`, the username, `iat`, `exp` and `iatMs`
 * (the issue time in ms, for revocation), so a gateway authenticates a socket without any
 * lookup. Every token must carry `exp`: one without would open sessions that never end. The
 * api signs and verifies with `verifyClaims`; gateways verify synchronously (`verifySession`).
 */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly secret: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
    this.secret = Buffer.from(secret, 'utf8');
  }

  /** `ttlSeconds`: the service's session TTL unless given (bot tokens live longer). */
  async sign(user: User, nowMs = Date.now(), ttlSeconds = this.ttlSeconds): Promise<string> {
    const now = Math.floor(nowMs / 1000);
    return new SignJWT({ username: user.username, iatMs: nowMs })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key);
  }

  /** The token's user; UNAUTHORIZED when it is malformed, forged or expired. */
  async verify(token: string): Promise<User> {
    return (await this.verifyClaims(token)).user;
  }

  /** The token's claims; UNAUTHORIZED when malformed, forged, expired (past the grace) or without `exp`. */
  async verifyClaims(token: string, { expiredGraceSeconds = 0 }: VerifyOptions = {}): Promise<TokenSession & { expiresAtMs: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
        // jose applies the tolerance to exp and nbf; nothing we sign has nbf.
        clockTolerance: expiredGraceSeconds,
      });
      const { sub, username, exp } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || typeof username !== 'string') throw new Error('token lacks sub or username');
      return { user: userRef(sub, username), issuedAtMs: issuedAtMsOf(payload), expiresAt: exp as number, expiresAtMs: (exp as number) * 1000 };
    } catch (err) {
      throw new ChatError(ErrorCode.UNAUTHORIZED, `invalid token: ${(err as Error).message}`);
    }
  }

  /**
   * The same check as `verify`, synchronously (HMAC-SHA256 from node:crypto, a few µs). The
   * gateway verifies inside the uWS upgrade handler with it: an upgrade completed later,
   * inside res.cork(), can be closed by uWS right after the 101 (uNetworking/uWebSockets#1928).
   */
  verifySync(token: string): User {
    return this.verifySession(token).user;
  }

  /** verifySync with the token's issue and expiry times (what a gateway session needs). */
  verifySession(token: string): TokenSession {
    const fail = (why: string): never => {
      throw new ChatError(ErrorCode.UNAUTHORIZED, `invalid token: ${why}`);
    };
    const parts = token.split('.');
    if (parts.length !== 3) fail('not a JWT');
    const [header, payload, signature] = parts;
    const expected = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) fail('signature verification failed');
    let claims: { sub?: unknown; username?: unknown; exp?: unknown; nbf?: unknown; iat?: unknown; iatMs?: unknown };
    try {
      if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }).alg !== 'HS256') fail('unexpected alg');
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as typeof claims;
    } catch (err) {
      if (err instanceof ChatError) throw err;
      return fail('malformed');
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number') fail('missing required "exp" claim');
    if ((claims.exp as number) <= now) fail('"exp" claim timestamp check failed');
    if (typeof claims.nbf === 'number' && claims.nbf > now) fail('"nbf" claim timestamp check failed');
    if (typeof claims.sub !== 'string' || typeof claims.username !== 'string') fail('token lacks sub or username');
    return {
      user: userRef(claims.sub as string, claims.username as string),
      issuedAtMs: issuedAtMsOf(claims),
      expiresAt: claims.exp as number,
    };
  }
}

/** `iatMs` when it agrees with `iat` (same second: a token cannot claim a later issue time), else `iat` × 1000. */
function issuedAtMsOf({ iat, iatMs }: { iat?: unknown; iatMs?: unknown }): number {
  if (typeof iat !== 'number') return 0;
  return typeof iatMs === 'number' && Math.floor(iatMs / 1000) === iat ? iatMs : iat * 1000;
}
