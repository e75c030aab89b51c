import { UnavailableReplies } from './unavailable-replies';

const entries = (...ids: string[]) => ids.map((id) => ({ id, fields: [] }));

describe('UnavailableReplies', () => {
  it('falls due once afterMs passed since the batch started, for entries not answered yet', () => {
    const replies = new UnavailableReplies(3000, 1000);
    expect(replies.dueFor(entries('1-0', '2-0'), 3999)).toBe(false);
    expect(replies.dueFor(entries('1-0', '2-0'), 4000)).toBe(true);
    replies.markAnswered(entries('1-0', '2-0'));
    expect(replies.dueFor(entries('1-0', '2-0'), 9000)).toBe(false);
    expect(replies.dueFor(entries('1-0', '3-0'), 9000)).toBe(true);
    expect([...replies.answered]).toEqual(['1-0', '2-0']);
  });

  it('shortens a retry wait that would overshoot the moment they fall due', () => {
    const replies = new UnavailableReplies(3000, 1000);
    expect(replies.waitBefore(2000, 1500)).toBe(2000);
    expect(replies.waitBefore(2000, 3500)).toBe(500);
    expect(replies.waitBefore(2000, 5000)).toBe(2000);
  });

  it('never falls due without afterMs', () => {
    const replies = new UnavailableReplies(undefined, 0);
    expect(replies.dueFor(entries('1-0'), Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(replies.waitBefore(2000, 10)).toBe(2000);
  });
});
