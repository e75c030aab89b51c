import { ChatError, ErrorCode } from '@chat/protocol';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ADMIN_TOKEN } from '../api.tokens';
import { isAdminToken } from './admin-token';

/** Lets a request through only with `Authorization: Bearer <ADMIN_TOKEN>` (401 otherwise). */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: { authorization?: string | string[] } }>();
    if (!isAdminToken(this.token, request.headers.authorization)) throw new ChatError(ErrorCode.UNAUTHORIZED, 'admin token required');
    return true;
  }
}
