import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether an Authorization header carries the admin token (`Bearer <ADMIN_TOKEN>`). Compared
 * in constant time: both sides are hashed first, so neither the length nor the first
 * differing byte shows in the timing.
 */
export function isAdminToken(expected: string, authorization: string | string[] | undefined): boolean {
  const given = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  const matches = timingSafeEqual(digest(given ?? ''), digest(expected));
  return given !== undefined && matches;
}
