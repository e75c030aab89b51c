import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How a webhook request proves it comes from this server (docs/protocol.md "Webhooks"):
 * `X-Chat-Signature: v1=<hex HMAC-SHA256(secret, "<X-Chat-Timestamp>.<raw body>")>`. The
 * timestamp is signed with the body, so a captured request cannot be replayed later than
 * the receiver's window (5 minutes) with a new timestamp.
 */
export const WebhookHeaders = {
  webhookId: 'x-chat-webhook-id',
  eventId: 'x-chat-event-id',
  eventType: 'x-chat-event-type',
  attempt: 'x-chat-delivery-attempt',
  timestamp: 'x-chat-timestamp',
  signature: 'x-chat-signature',
} as const;

/** How far a request's timestamp may be from the receiver's clock (either way). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** A new webhook secret: 32 random bytes, shown to the webhook's creator once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The `X-Chat-Signature` value of a body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface SignedRequest {
  /** The raw body, exactly as received (before any JSON parsing). */
  body: string;
  /** `X-Chat-Timestamp`. */
  timestamp: string | undefined;
  /** `X-Chat-Signature` (several `v1=` values separated by commas are accepted: one must match). */
  signature: string | undefined;
}

/**
 * A receiver's check: the signature is right and the timestamp within the tolerance. Returns
 * why not (a string), or undefined when the request is genuine. Compare in constant time.
 */
export function webhookSignatureProblem(
  secret: string,
  { body, timestamp, signature }: SignedRequest,
  nowMs = Date.now(),
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): string | undefined {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return 'no valid timestamp';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return 'timestamp outside the tolerance (a replay?)';
  if (!signature) return 'no signature';
  const expected = Buffer.from(webhookSignature(secret, Number(timestamp), body));
  const matches = signature.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? undefined : 'signature does not match';
}
