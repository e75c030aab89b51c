import { usernameString } from '@chat/protocol';
import { z } from 'zod';

/** Request bodies of `/api/auth/*` (PROTOCOL.md "HTTP auth"). Unknown fields are dropped. */
export const Username = usernameString;

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;

/**
 * `token`: optional proof of a returning guest — any token this guest was given, even expired
 * (up to GUEST_PROOF_GRACE_SECONDS). Without it, a name another guest holds is CONFLICT.
 */
export const GuestLoginBody = z.object({ username: Username, token: z.string().min(1).max(4096).optional() });
export type GuestLoginBody = z.infer<typeof GuestLoginBody>;

export const RegisterBody = z.object({
  username: Username,
  password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
});
export type RegisterBody = z.infer<typeof RegisterBody>;

/**
 * Login only checks the shape: a name or password that could never have been registered
 * is simply a wrong credential (401), not a malformed request, so a client cannot tell
 * "no such rule" from "no such user".
 */
export const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});
export type LoginBody = z.infer<typeof LoginBody>;
