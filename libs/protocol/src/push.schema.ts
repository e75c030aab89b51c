import { z } from 'zod';
import { NotifyLevel } from './objects.schema';

/** base64url (RFC 4648 §5, unpadded) of exactly `bytes` bytes. */
function base64url(bytes: number, what: string) {
  const chars = Math.ceil((bytes * 4) / 3);
  return z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${chars}}=*$`), `must be ${what}: ${bytes} bytes, base64url`);
}

/**
 * `POST /api/push/subscriptions`: the browser's `PushSubscription.toJSON()`. `p256dh` is the
 * browser's uncompressed P-256 public key (65 bytes, 0x04 first), `auth` its 16-byte secret.
 */
export const PushSubscriptionBody = z.object({
  endpoint: z.string().min(1).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    p256dh: base64url(65, 'an uncompressed P-256 public key').refine((k) => k.startsWith('B'), 'must be an uncompressed point (0x04 first)'),
    auth: base64url(16, 'the subscription auth secret'),
  }),
});
export type PushSubscriptionBody = z.infer<typeof PushSubscriptionBody>;

/** `DELETE /api/push/subscriptions`. */
export const PushUnsubscribeBody = z.object({ endpoint: z.string().min(1).max(2048) });
export type PushUnsubscribeBody = z.infer<typeof PushUnsubscribeBody>;

/** `PUT /api/rooms/:id/notify`. */
export const NotifyLevelBody = z.object({ level: NotifyLevel });
export type NotifyLevelBody = z.infer<typeof NotifyLevelBody>;
