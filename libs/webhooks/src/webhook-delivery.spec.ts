import { RetryLater } from '@chat/outbound-http';
import { createLogger } from '@chat/observability';
import type { WebhookAttempt, WebhookTarget } from '@chat/store';
import { Job, UnrecoverableError } from 'bullmq';
import { WebhookDelivery } from './webhook-delivery';
import { WebhookJobData } from './webhook-jobs';
import { classifyAnswer, WebhookOutcome } from './webhook-sender';
import { webhooksMetrics } from './webhooks.metrics';

describe('classifyAnswer', () => {
  it.each([
    [200, undefined, { outcome: 'delivered', status: 200 }],
    [204, undefined, { outcome: 'delivered', status: 204 }],
    [500, undefined, { outcome: 'failed', status: 500 }],
    [503, '7', { outcome: 'failed', status: 503, retryAfterMs: 7000 }],
    [429, '2', { outcome: 'failed', status: 429, retryAfterMs: 2000 }],
    [408, undefined, { outcome: 'failed', status: 408 }],
    [301, undefined, { outcome: 'refused', status: 301 }],
    [400, undefined, { outcome: 'refused', status: 400 }],
    [410, undefined, { outcome: 'refused', status: 410 }],
  ])('reads %p (Retry-After %p) as %j', (status, retryAfter, expected) => {
    expect(classifyAnswer(status, retryAfter)).toMatchObject(expected);
  });
});

describe('WebhookDelivery', () => {
  const event = { id: '0-1-0', type: 'member.joined' as const, roomId: 'r1', data: { roomId: 'r1', userId: 'u1' }, timestamp: new Date().toISOString() };
  let target: WebhookTarget | undefined;
  let answer: WebhookOutcome;
  let disables: boolean;
  let recorded: WebhookAttempt[];
  let delivery: WebhookDelivery;

  const job = (attemptsMade = 0) => ({ data: { webhookId: 'wh1', event }, attemptsMade }) as unknown as Job<WebhookJobData>;

  beforeEach(() => {
    target = { id: 'wh1', url: 'https://x.example/h', secret: 's', enabled: true };
    answer = { outcome: 'delivered', status: 200 };
    disables = false;
    recorded = [];
    delivery = new WebhookDelivery(
      {
        target: async () => target,
        recordAttempt: async (attempt) => {
          recorded.push(attempt);
          return { disabled: disables };
        },
      },
      { send: async () => answer },
      { disableAfter: 3, logSize: 10 },
      webhooksMetrics(),
      createLogger('test', 'silent', 'json'),
    );
  });

  it('records a delivered attempt with its number and is done', async () => {
    await expect(delivery.process(job(1))).resolves.toBeUndefined();
    expect(recorded).toEqual([
      { webhookId: 'wh1', eventId: '0-1-0', eventType: 'member.joined', attempt: 2, outcome: 'delivered', status: 200, durationMs: expect.any(Number) },
    ]);
  });

  it('fails with RetryLater (keeping Retry-After) when the receiver may recover', async () => {
    answer = { outcome: 'failed', status: 503, error: 'receiver answered 503', retryAfterMs: 4000 };
    const err = await delivery.process(job()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLater);
    expect((err as RetryLater).retryAfterMs).toBe(4000);
    expect(recorded[0]).toMatchObject({ outcome: 'failed', status: 503, error: 'receiver answered 503' });
    expect(recorded[0]).not.toHaveProperty('retryAfterMs');
  });

  it('gives up at once on a refusal, and on the attempt that disabled the webhook', async () => {
    answer = { outcome: 'refused', status: 400, error: 'receiver answered 400' };
    await expect(delivery.process(job())).rejects.toBeInstanceOf(UnrecoverableError);
    answer = { outcome: 'failed', status: 500, error: 'receiver answered 500' };
    disables = true;
    await expect(delivery.process(job())).rejects.toThrow(/disabled/);
    expect(recorded).toHaveLength(2);
  });

  it('sends nothing and records nothing for a webhook deleted or disabled since', async () => {
    target = undefined;
    await expect(delivery.process(job())).resolves.toBeUndefined();
    target = { id: 'wh1', url: 'https://x.example/h', secret: 's', enabled: false };
    await expect(delivery.process(job())).resolves.toBeUndefined();
    expect(recorded).toEqual([]);
  });
});
