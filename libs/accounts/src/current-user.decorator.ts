import { ChatError, ErrorCode, User } from '@chat/protocol';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './bearer.guard';

/** The user `BearerGuard` authenticated. Throws rather than yield undefined if the guard is missing. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): User => {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new ChatError(ErrorCode.UNAUTHORIZED, 'not authenticated');
  return user;
});
