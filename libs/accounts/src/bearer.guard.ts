import { TokenService } from '@chat/auth';
import { User } from '@chat/protocol';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { bearerTokenOf } from './bearer-token';

/** The slice of an HTTP request the guard reads and writes (any Node HTTP framework has it). */
export interface AuthenticatedRequest {
  headers: { authorization?: string | string[] };
  user?: User;
}

/** The user an `Authorization: Bearer <jwt>` header stands for; UNAUTHORIZED otherwise. */
export function userOfAuthorization(tokens: TokenService, header: string | string[] | undefined): Promise<User> {
  return tokens.verify(bearerTokenOf(header));
}

/**
 * Lets a request through only with a valid session token, and leaves its user on the
 * request for `@CurrentUser()`. Stateless like the gateway: the JWT is proof enough.
 */
@Injectable()
export class BearerGuard implements CanActivate {
  constructor(@Inject(TokenService) private readonly tokens: TokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.user = await userOfAuthorization(this.tokens, request.headers.authorization);
    return true;
  }
}
