import { ChatError, ErrorCode } from '@chat/protocol';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header; UNAUTHORIZED when absent or malformed. */
export function bearerTokenOf(header: string | string[] | undefined): string {
  if (typeof header !== 'string' || header.length === 0) {
    throw new ChatError(ErrorCode.UNAUTHORIZED, 'missing "Authorization: Bearer <token>" header');
  }
  const match = BEARER.exec(header);
  if (!match) throw new ChatError(ErrorCode.UNAUTHORIZED, 'Authorization header is not "Bearer <token>"');
  return match[1];
}
