import { settle } from '../../../test/support/deferred';
import { PendingSubscriber } from '../../../test/support/fakes';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';

describe('RefCountedSubscriptions', () => {
  let redis: PendingSubscriber;
  let subs: RefCountedSubscriptions;

  beforeEach(() => {
    redis = new PendingSubscriber();
    subs = new RefCountedSubscriptions(redis.subscribe, redis.unsubscribe);
  });

  it('first acquire subscribes once and resolves only after Redis confirms', async () => {
    let done = false;
    const acquired = subs.acquire('r1').then(() => (done = true));
    expect(redis.subscribe).toHaveBeenCalledTimes(1);
    expect(redis.subscribe).toHaveBeenCalledWith('r1');
    expect(subs.has('r1')).toBe(true);
    expect(subs.size).toBe(1);

    await settle();
    expect(done).toBe(false);

    redis.confirm();
    await acquired;
    expect(done).toBe(true);
    expect(redis.unsubscribe).not.toHaveBeenCalled();
  });

  it('concurrent acquires share one SUBSCRIBE and wait for the same confirmation', async () => {
    const first = subs.acquire('r1');
    const second = subs.acquire('r1');
    const third = subs.acquire('r1');
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(redis.subscribe).toHaveBeenCalledTimes(1);

    const resolved: string[] = [];
    void first.then(() => resolved.push('first'));
    void second.then(() => resolved.push('second'));
    await settle();
    expect(resolved).toEqual([]);

    redis.confirm();
    await Promise.all([first, second, third]);
    expect(resolved.sort()).toEqual(['first', 'second']);
    expect(subs.size).toBe(1);
  });

  it('an acquire after confirmation resolves without another SUBSCRIBE', async () => {
    const first = subs.acquire('r1');
    redis.confirm();
    await first;
    await subs.acquire('r1');
    expect(redis.subscribe).toHaveBeenCalledTimes(1);
  });

  it('different names subscribe separately', async () => {
    void subs.acquire('r1');
    void subs.acquire('r2');
    expect(redis.subscribe.mock.calls).toEqual([['r1'], ['r2']]);
    expect(subs.size).toBe(2);
  });

  it('unsubscribes only when the last reference is released', async () => {
    const a = subs.acquire('r1');
    const b = subs.acquire('r1');
    redis.confirm();
    await Promise.all([a, b]);

    subs.release('r1');
    expect(redis.unsubscribe).not.toHaveBeenCalled();
    expect(subs.has('r1')).toBe(true);

    subs.release('r1');
    expect(redis.unsubscribe).toHaveBeenCalledTimes(1);
    expect(redis.unsubscribe).toHaveBeenCalledWith('r1');
    expect(subs.has('r1')).toBe(false);
    expect(subs.size).toBe(0);
  });

  it('releasing an unknown name is a no-op, and so is a release past zero', async () => {
    subs.release('nope');
    expect(redis.unsubscribe).not.toHaveBeenCalled();

    const a = subs.acquire('r1');
    redis.confirm();
    await a;
    subs.release('r1');
    subs.release('r1');
    subs.release('r1');
    expect(redis.unsubscribe).toHaveBeenCalledTimes(1);
    expect(subs.size).toBe(0);
  });

  it('acquiring again after the last release subscribes again', async () => {
    const a = subs.acquire('r1');
    redis.confirm();
    await a;
    subs.release('r1');

    const b = subs.acquire('r1');
    expect(redis.subscribe).toHaveBeenCalledTimes(2);
    redis.confirm();
    await b;
    expect(subs.has('r1')).toBe(true);
  });

  it('a failed SUBSCRIBE rejects every waiter, forgets the name, and a later acquire retries', async () => {
    const a = subs.acquire('r1');
    const b = subs.acquire('r1');
    const boom = new Error('subscribe failed');
    redis.fail(0, boom);
    await expect(a).rejects.toBe(boom);
    await expect(b).rejects.toBe(boom);
    expect(subs.has('r1')).toBe(false);
    expect(subs.size).toBe(0);

    const retry = subs.acquire('r1');
    expect(redis.subscribe).toHaveBeenCalledTimes(2);
    redis.confirm(1);
    await expect(retry).resolves.toBeUndefined();
    expect(subs.has('r1')).toBe(true);
  });

  it('a stale failure does not forget a newer subscription of the same name', async () => {
    const old = subs.acquire('r1');
    subs.release('r1'); // last reference gone while SUBSCRIBE is in flight
    expect(redis.unsubscribe).toHaveBeenCalledTimes(1);

    const fresh = subs.acquire('r1');
    expect(redis.subscribe).toHaveBeenCalledTimes(2);
    redis.fail(0, new Error('old one failed'));
    await expect(old).rejects.toThrow('old one failed');
    expect(subs.has('r1')).toBe(true);

    redis.confirm(1);
    await fresh;
    expect(subs.size).toBe(1);
  });

  it('a failing UNSUBSCRIBE is swallowed', async () => {
    redis.unsubscribe.mockImplementationOnce(() => Promise.reject(new Error('connection is closed')));
    const a = subs.acquire('r1');
    redis.confirm();
    await a;
    expect(() => subs.release('r1')).not.toThrow();
    await settle();
    expect(subs.has('r1')).toBe(false);
  });

  it('counts confirmed references: UNSUBSCRIBE only after the last of several releases', async () => {
    const first = subs.acquire('r1');
    redis.confirm();
    await first;
    await subs.acquire('r1');
    await subs.acquire('r1');
    subs.release('r1');
    subs.release('r1');
    expect(redis.unsubscribe).not.toHaveBeenCalled();
    expect(subs.has('r1')).toBe(true);
    subs.release('r1');
    expect(redis.unsubscribe).toHaveBeenCalledWith('r1');
    expect(subs.has('r1')).toBe(false);
    subs.release('r1'); // one release too many: nothing
    expect(redis.unsubscribe).toHaveBeenCalledTimes(1);
  });
});
