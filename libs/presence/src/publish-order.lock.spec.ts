import { PublishOrderLock } from './publish-order.lock';

describe('PublishOrderLock', () => {
  it('gives turns one at a time, in the order they were asked for', async () => {
    const lock = new PublishOrderLock();
    const log: string[] = [];
    const endFirst = await lock.acquire();
    const second = lock.run(async () => log.push('second'));
    const third = lock.run(async () => log.push('third'));
    await Promise.resolve();
    expect(log).toEqual([]);
    log.push('first');
    endFirst();
    await Promise.all([second, third]);
    expect(log).toEqual(['first', 'second', 'third']);
  });

  it('ends a turn whose work failed, and tolerates ending a turn twice', async () => {
    const lock = new PublishOrderLock();
    await expect(lock.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const end = await lock.acquire();
    end();
    end();
    await expect(lock.run(async () => 'next')).resolves.toBe('next');
  });
});
