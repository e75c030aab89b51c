import { ChatError, ErrorCode, User } from '@chat/protocol';
import { bearerTokenOf } from './bearer-token';
import type { TokenService } from '@chat/auth';
import type { TokenRevocations } from './token-revocations';

/**
 * Who an `Authorization: Bearer <jwt>` header stands for: a valid token (signature, `exp`
 * present and not past) issued no earlier than the user's last revocation ("log out
 * everywhere"); UNAUTHORIZED otherwise.
 */
export class SessionAuthenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly revocations: Pick<TokenRevocations, 'revokedBefore'>,
  ) {}

  async userOf(authorization: string | string[] | undefined): Promise<User> {
    return this.userOfToken(bearerTokenOf(authorization));
  }

  /** The same check for a token that came without a header (a GraphQL `connection_init` payload). */
  async userOfToken(token: string): Promise<User> {
    const claims = await this.tokens.verifyClaims(token);
    if (claims.issuedAtMs < (await this.revocations.revokedBefore(claims.user.id))) {
      throw new ChatError(ErrorCode.UNAUTHORIZED, 'invalid token: revoked');
    }
    return claims.user;
  }
}
