import { FENCED_SQLSTATE, FencedError, isFencedError, ShardFence } from './fence';

const TTL_MS = 3000;
const MARGIN_MS = 600;
const SENT_AT = 1_700_000_000_000;
const DEADLINE = SENT_AT + TTL_MS - MARGIN_MS;

describe('ShardFence', () => {
  let clock: number;
  const fenceSentAt = (sentAt = SENT_AT) => new ShardFence(3, 'msg-1/abc', 7, 'chat:lease:{3}', TTL_MS, MARGIN_MS, sentAt, () => clock);

  beforeEach(() => {
    clock = SENT_AT;
  });

  it('carries the shard, token, epoch and lease key of its acquisition', () => {
    const fence = fenceSentAt();
    expect([fence.shard, fence.token, fence.epoch, fence.leaseKey]).toEqual([3, 'msg-1/abc', 7, 'chat:lease:{3}']);
  });

  it('is valid until a margin before the lease expires, counted from when the acquisition was sent', () => {
    const fence = fenceSentAt();
    clock = DEADLINE - 1;
    expect(fence.valid).toBe(true);
    expect(fence.validForMs).toBe(1);
    clock = DEADLINE;
    expect(fence.valid).toBe(false);
    expect(fence.validForMs).toBe(0);
  });

  it('counts from the send time, not from now: a slow acquisition leaves less time', () => {
    const fence = fenceSentAt(SENT_AT - 2000);
    expect(fence.validForMs).toBe(TTL_MS - MARGIN_MS - 2000);
  });

  it('a renewal extends the deadline from when the renewal was sent', () => {
    const fence = fenceSentAt();
    fence.renewed(SENT_AT + 1000);
    clock = DEADLINE + 999;
    expect(fence.valid).toBe(true);
    clock = DEADLINE + 1000;
    expect(fence.valid).toBe(false);
  });

  it('a late answer to an older renewal never shortens the deadline', () => {
    const fence = fenceSentAt();
    fence.renewed(SENT_AT + 1000);
    fence.renewed(SENT_AT + 500);
    clock = DEADLINE + 999;
    expect(fence.valid).toBe(true);
  });

  it('revoked, it is invalid at once and a renewal does not bring it back', () => {
    const fence = fenceSentAt();
    fence.revoke();
    expect(fence.valid).toBe(false);
    expect(fence.validForMs).toBe(0);
    fence.renewed(SENT_AT + 1000);
    expect(fence.valid).toBe(false);
  });

  describe('assertValid', () => {
    it('passes while valid', () => {
      expect(() => fenceSentAt().assertValid()).not.toThrow();
    });

    it('throws a FencedError saying the deadline passed', () => {
      const fence = fenceSentAt();
      clock = DEADLINE;
      expect(() => fence.assertValid()).toThrow(FencedError);
      expect(() => fence.assertValid()).toThrow('shard 3: lease deadline passed; not committing');
    });

    it('throws a FencedError saying the lease was lost once revoked', () => {
      const fence = fenceSentAt();
      fence.revoke();
      expect(() => fence.assertValid()).toThrow('shard 3: lease lost; not committing');
    });
  });
});

describe('isFencedError', () => {
  it('recognises a FencedError', () => {
    expect(isFencedError(new FencedError('gone'))).toBe(true);
  });

  it('recognises PostgreSQL refusing a stale epoch (SQLSTATE CHF01)', () => {
    expect(FENCED_SQLSTATE).toBe('CHF01');
    expect(isFencedError({ code: 'CHF01' })).toBe(true);
    expect(isFencedError(Object.assign(new Error('stale epoch 6 for shard 3 (now 7)'), { code: 'CHF01' }))).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['another SQLSTATE', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a string', 'FENCED'],
    ['null', null],
    ['undefined', undefined],
  ])('does not take %s for a fence', (_name, err) => {
    expect(isFencedError(err)).toBe(false);
  });
});
