import { EndpointPolicy, EndpointRefused, HttpPoster, retryAfterMs } from '@chat/outbound-http';
import { WebhookDelivery } from '@chat/protocol';
import { WebhookEvent } from './webhook-event';
import { WebhookHeaders, webhookSignature } from './webhook-signature';

/** What became of one attempt (the log's fields). */
export type WebhookOutcome = Pick<WebhookDelivery, 'outcome' | 'status' | 'error'> & { retryAfterMs?: number };

/**
 * A receiver's answer, classified: 2xx delivered; 408, 429, 5xx failed (retried, not before
 * Retry-After); anything else refused — a 3xx (redirects are not followed: the new address
 * would escape the endpoint policy) or another 4xx will not change by trying again.
 */
export function classifyAnswer(status: number, retryAfter?: string): WebhookOutcome {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  const error = `receiver answered ${status}`;
  if (status === 408 || status === 429 || status >= 500) return { outcome: 'failed', status, error, retryAfterMs: retryAfterMs(retryAfter) };
  return { outcome: 'refused', status, error };
}

/** POSTs signed webhook events (docs/protocol.md "Webhooks") through the endpoint policy. */
export class WebhookSender {
  private readonly http: HttpPoster;

  constructor(
    private readonly policy: EndpointPolicy,
    timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.http = new HttpPoster(policy, timeoutMs);
  }

  async send(target: { id: string; url: string; secret: string }, event: WebhookEvent, attempt: number): Promise<WebhookOutcome> {
    let url: URL;
    try {
      url = this.policy.parse(target.url);
    } catch (err) {
      if (err instanceof EndpointRefused) return { outcome: 'refused', error: err.message };
      throw err;
    }
    const body = JSON.stringify(event);
    const timestamp = Math.floor(this.now() / 1000);
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': 'streamchat-webhooks/1',
      [WebhookHeaders.webhookId]: target.id,
      [WebhookHeaders.eventId]: event.id,
      [WebhookHeaders.eventType]: event.type,
      [WebhookHeaders.attempt]: String(attempt),
      [WebhookHeaders.timestamp]: String(timestamp),
      [WebhookHeaders.signature]: webhookSignature(target.secret, timestamp, body),
    };
    try {
      const answer = await this.http.post(url, headers, body);
      const retryAfter = answer.headers['retry-after'];
      return classifyAnswer(answer.status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    } catch (err) {
      if (err instanceof EndpointRefused) return { outcome: 'refused', error: err.message };
      return { outcome: 'failed', error: (err as Error).message };
    }
  }

  close(): void {
    this.http.close();
  }
}
