import { User } from '@chat/protocol';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { SessionAuthenticator } from './session-authenticator';

/** The slice of an HTTP request the guard reads and writes (any Node HTTP framework has it). */
export interface AuthenticatedRequest {
  headers: { authorization?: string | string[] };
  user?: User;
}

/**
 * Lets a request through only with a valid, unrevoked session token, and leaves its user on
 * the request for `@CurrentUser()`. The JWT is the proof; the one lookup is the user's
 * revocation time in Redis.
 */
@Injectable()
export class BearerGuard implements CanActivate {
  constructor(@Inject(SessionAuthenticator) private readonly sessions: SessionAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.user = await this.sessions.userOf(request.headers.authorization);
    return true;
  }
}
