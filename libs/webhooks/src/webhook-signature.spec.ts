import { createHmac } from 'node:crypto';
import { newWebhookSecret, webhookSignature, webhookSignatureProblem } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"id":"3-1-0","type":"message.created"}';
  const nowMs = 1_764_700_000_000;
  const ts = Math.floor(nowMs / 1000);

  it('is v1= hex HMAC-SHA256 of "<timestamp>.<body>" with the secret', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(webhookSignature(secret, ts, body)).toBe(`v1=${expected}`);
  });

  it('verifies a genuine request, also among several signatures', () => {
    const signature = webhookSignature(secret, ts, body);
    expect(webhookSignatureProblem(secret, { body, timestamp: String(ts), signature }, nowMs)).toBeUndefined();
    expect(webhookSignatureProblem(secret, { body, timestamp: String(ts), signature: `v1=00, ${signature}` }, nowMs)).toBeUndefined();
  });

  it('refuses a changed body, another secret, a moved timestamp and a missing header', () => {
    const signature = webhookSignature(secret, ts, body);
    expect(webhookSignatureProblem(secret, { body: body.replace('3-1-0', '3-1-1'), timestamp: String(ts), signature }, nowMs)).toMatch(/does not match/);
    expect(webhookSignatureProblem('whsec_other', { body, timestamp: String(ts), signature }, nowMs)).toMatch(/does not match/);
    expect(webhookSignatureProblem(secret, { body, timestamp: String(ts + 1), signature }, nowMs)).toMatch(/does not match/);
    expect(webhookSignatureProblem(secret, { body, timestamp: undefined, signature }, nowMs)).toMatch(/timestamp/);
    expect(webhookSignatureProblem(secret, { body, timestamp: 'yesterday', signature }, nowMs)).toMatch(/timestamp/);
    expect(webhookSignatureProblem(secret, { body, timestamp: String(ts), signature: undefined }, nowMs)).toMatch(/no signature/);
  });

  it('refuses a replay outside the 5-minute window, either way', () => {
    const old = ts - 301;
    expect(webhookSignatureProblem(secret, { body, timestamp: String(old), signature: webhookSignature(secret, old, body) }, nowMs)).toMatch(/replay/);
    const future = ts + 301;
    expect(webhookSignatureProblem(secret, { body, timestamp: String(future), signature: webhookSignature(secret, future, body) }, nowMs)).toMatch(/replay/);
    const edge = ts - 300;
    expect(webhookSignatureProblem(secret, { body, timestamp: String(edge), signature: webhookSignature(secret, edge, body) }, nowMs)).toBeUndefined();
  });

  it('makes a new 32-byte secret each time', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
