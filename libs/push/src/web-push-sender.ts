import { EndpointPolicy, EndpointRefused, HttpPoster, retryAfterMs } from '@chat/outbound-http';
import { encrypt, getVapidHeaders } from 'web-push';
import { VapidKeys } from './vapid-keys';

/** A browser's push subscription (`PushSubscription.toJSON()` without expirationTime). */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** What became of one notification to one endpoint. */
export type PushOutcome =
  /** The push service took it (201). */
  | { kind: 'delivered' }
  /** 404 / 410: the subscription is gone for good (unsubscribed, expired): delete it. */
  | { kind: 'gone'; status: number }
  /** 429, 5xx, timeout, network: try again later, not before `retryAfterMs` when given. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** Any other answer, or an endpoint the policy refuses now: trying again would not help. */
  | { kind: 'rejected'; reason: string };

export interface WebPushSenderOptions {
  /** RFC 8292 `sub`: how push services reach the operator. */
  subject: string;
  /** How long the push service keeps the message for an offline device (TTL header). */
  ttlSeconds: number;
  timeoutMs: number;
}

/** VAPID JWTs are signed for 12 h (the maximum is 24 h) and reused until 1 h before expiry. */
const VAPID_TTL_SECONDS = 12 * 3600;

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291, by the
 * `web-push` package). The request itself is ours (HttpPoster: the endpoint policy vets the
 * address connected to, keep-alive agents reuse connections to the few push services there
 * are), and the answer is classified rather than thrown. One signed VAPID header per push service
 * origin is reused while valid: signing is most of the CPU of a push otherwise.
 */
export class WebPushSender {
  private readonly vapidHeaders = new Map<string, { authorization: string; renewAt: number }>();
  private readonly http: HttpPoster;

  constructor(
    private readonly keys: VapidKeys,
    private readonly policy: EndpointPolicy,
    private readonly options: WebPushSenderOptions,
  ) {
    this.http = new HttpPoster(policy, options.timeoutMs);
  }

  /** Sends `payload` (UTF-8 JSON, at most ~3.9 KB) to one subscription. `topic` lets a push service replace an undelivered duplicate. */
  async send(target: PushTarget, payload: string, topic: string): Promise<PushOutcome> {
    let url: URL;
    try {
      url = this.policy.parse(target.endpoint);
    } catch (err) {
      if (err instanceof EndpointRefused) return { kind: 'rejected', reason: err.message };
      throw err;
    }
    let body: Buffer;
    try {
      body = encrypt(target.keys.p256dh, target.keys.auth, payload, 'aes128gcm').cipherText;
    } catch (err) {
      return { kind: 'rejected', reason: `cannot encrypt for this subscription: ${(err as Error).message}` };
    }
    const headers = {
      Authorization: this.authorization(url.origin),
      TTL: String(this.options.ttlSeconds),
      Urgency: 'normal',
      Topic: topic,
      'Content-Type': 'application/octet-stream',
      'Content-Encoding': 'aes128gcm',
      'Content-Length': String(body.length),
    };
    try {
      const response = await this.http.post(url, headers, body);
      return classify(response.status, response.headers['retry-after']);
    } catch (err) {
      if (err instanceof EndpointRefused) return { kind: 'rejected', reason: err.message };
      return { kind: 'retry', reason: (err as Error).message };
    }
  }

  close(): void {
    this.http.close();
  }

  private authorization(audience: string): string {
    const now = Date.now();
    const cached = this.vapidHeaders.get(audience);
    if (cached && cached.renewAt > now) return cached.authorization;
    const expiration = Math.floor(now / 1000) + VAPID_TTL_SECONDS;
    const { Authorization } = getVapidHeaders(audience, this.options.subject, this.keys.publicKey, this.keys.privateKey, 'aes128gcm', expiration);
    this.vapidHeaders.set(audience, { authorization: Authorization, renewAt: now + (VAPID_TTL_SECONDS - 3600) * 1000 });
    return Authorization;
  }
}

function classify(status: number, retryAfter: string | undefined): PushOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 404 || status === 410) return { kind: 'gone', status };
  if (status === 429 || status >= 500) return { kind: 'retry', reason: `push service answered ${status}`, retryAfterMs: retryAfterMs(retryAfter) };
  return { kind: 'rejected', reason: `push service answered ${status}` };
}
