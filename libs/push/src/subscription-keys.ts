import { ECDH } from 'node:crypto';

/**
 * Why a subscription's p256dh cannot be encrypted to (not a point on P-256), or undefined.
 * The schema checks the length; this checks the curve, so a bad key is a 400 at subscription
 * time rather than a push that fails at every send.
 */
export function subscriptionKeyProblem(p256dh: string): string | undefined {
  try {
    ECDH.convertKey(Buffer.from(p256dh, 'base64url'), 'prime256v1');
    return undefined;
  } catch {
    return 'keys.p256dh is not a point on P-256';
  }
}
