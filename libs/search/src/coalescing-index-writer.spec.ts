import { ChatEvent } from './chat-event';
import { CoalescingIndexWriter } from './coalescing-index-writer';
import { SearchIndex } from './search-index';

const deleted = (seq: number): ChatEvent => ({ type: 'message.deleted', data: { roomId: 'r1', seq, id: `r1:${seq}` } });

describe('CoalescingIndexWriter', () => {
  it('applies the events handed to it in one turn in ONE call, and resolves each', async () => {
    const apply = jest.fn(async () => ({}));
    const writer = new CoalescingIndexWriter({ apply } as unknown as SearchIndex);
    await Promise.all([1, 2, 3].map((seq) => writer.apply(deleted(seq))));
    expect(apply).toHaveBeenCalledTimes(1);
    expect(apply).toHaveBeenCalledWith([deleted(1), deleted(2), deleted(3)]);
    await writer.apply(deleted(4));
    expect(apply).toHaveBeenCalledTimes(2);
  });

  it('when the combined apply fails on its own, applies each alone: only the one at fault fails', async () => {
    const apply = jest.fn(async (events: ChatEvent[]) => {
      if (events.some((e) => e.type === 'message.deleted' && e.data.seq === 2)) throw new Error('integer out of range');
      return {};
    });
    const writer = new CoalescingIndexWriter({ apply } as unknown as SearchIndex);
    const results = await Promise.allSettled([1, 2, 3].map((seq) => writer.apply(deleted(seq))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(apply).toHaveBeenCalledTimes(4);
  });

  it('when the database is away, every event of the batch fails transiently (the transport retries them)', async () => {
    const down = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
    const apply = jest.fn(async () => {
      throw down;
    });
    const writer = new CoalescingIndexWriter({ apply } as unknown as SearchIndex);
    const results = await Promise.allSettled([1, 2].map((seq) => writer.apply(deleted(seq))));
    expect(results).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    expect(apply).toHaveBeenCalledTimes(1);
  });
});
