import { ChatError, ErrorCode, User } from '@chat/protocol';
import { jwtVerify, SignJWT } from 'jose';

/**
 * Session tokens: HS256 JWTs with the user id as `sub` and the username as a claim, so a
 * gateway authenticates a socket without any lookup.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(user: User): Promise<string> {
    return new SignJWT({ username: user.username })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.ttlSeconds)
      .sign(this.key);
  }

  /** The token's user; UNAUTHORIZED when it is malformed, forged or expired. */
  async verify(token: string): Promise<User> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.username !== 'string') {
        throw new Error('token lacks sub or username');
      }
      return { id: payload.sub, username: payload.username };
    } catch (err) {
      throw new ChatError(ErrorCode.UNAUTHORIZED, `invalid token: ${(err as Error).message}`);
    }
  }
}
