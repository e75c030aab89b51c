import { closeGradually } from './gradual-close';

describe('closeGradually', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /** When each item was closed (ms since the start). */
  async function closeTimes(count: number, windowMs: number, tickMs?: number): Promise<number[]> {
    const at: number[] = [];
    const done = closeGradually(Array.from({ length: count }, (_, i) => i), windowMs, () => at.push(Date.now()), tickMs);
    await jest.runAllTimersAsync();
    await done;
    return at;
  }

  it('spreads a few sockets one by one over the whole window', async () => {
    expect(await closeTimes(4, 2000)).toEqual([0, 500, 1000, 1500]);
  });

  it('closes many in batches, at most one batch per tick, all within the window', async () => {
    const at = await closeTimes(1000, 1000, 100);
    expect(new Set(at)).toEqual(new Set([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]));
    expect(at.filter((t) => t === 0)).toHaveLength(100);
  });

  it('closes everything at once with no window, and nothing when there is nothing', async () => {
    expect(await closeTimes(5, 0)).toEqual([0, 0, 0, 0, 0]);
    expect(await closeTimes(0, 1000)).toEqual([]);
  });
});
