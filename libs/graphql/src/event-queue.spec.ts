import { EventQueue } from './event-queue';

describe('EventQueue', () => {
  const overflow = () => new Error('too far behind');

  it('hands events over in the order they were pushed, queued or awaited', async () => {
    const queue = new EventQueue<number>(10, overflow, () => undefined);
    queue.push(1);
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    const third = queue.next();
    const fourth = queue.next();
    queue.push(3);
    queue.push(4);
    expect(await third).toEqual({ value: 2, done: false });
    expect(await fourth).toEqual({ value: 3, done: false });
    expect(await queue.next()).toEqual({ value: 4, done: false });
  });

  it('a waiting reader gets the next push at once', async () => {
    const queue = new EventQueue<string>(10, overflow, () => undefined);
    const next = queue.next();
    queue.push('a');
    expect(await next).toEqual({ value: 'a', done: false });
  });

  it('a reader that falls `limit` behind gets the queued events, then the overflow error, and onEnd runs once', async () => {
    const onEnd = jest.fn();
    const queue = new EventQueue<number>(2, overflow, onEnd);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.push(4);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    await expect(queue.next()).rejects.toThrow('too far behind');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('finish() ends the stream after what was queued, and wakes a waiting reader', async () => {
    const onEnd = jest.fn();
    const queue = new EventQueue<number>(5, overflow, onEnd);
    queue.push(1);
    queue.finish();
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
    const waiting = new EventQueue<number>(5, overflow, () => undefined);
    const next = waiting.next();
    waiting.finish();
    expect(await next).toEqual({ value: undefined, done: true });
  });

  it('fail() rejects a waiting reader', async () => {
    const queue = new EventQueue<number>(2, overflow, () => undefined);
    const next = queue.next();
    queue.fail(new Error('gone'));
    await expect(next).rejects.toThrow('gone');
  });

  it('return() ends the stream, drops what was queued, ignores later pushes and calls onEnd once', async () => {
    const onEnd = jest.fn();
    const queue = new EventQueue<number>(5, overflow, onEnd);
    queue.push(1);
    const reader = (async () => {
      const seen: number[] = [];
      for await (const n of queue) {
        seen.push(n);
        if (n === 2) break;
      }
      return seen;
    })();
    queue.push(2);
    queue.push(3);
    expect(await reader).toEqual([1, 2]);
    expect(onEnd).toHaveBeenCalledTimes(1);
    queue.push(4);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    await queue.return();
    expect(onEnd).toHaveBeenCalledTimes(1);
  });
});
