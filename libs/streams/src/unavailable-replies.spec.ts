import { UnavailableReplies } from './unavailable-replies';

const entries = (...ids: string[]) => ids.map((id) => ({ id, fields: [] }));

describe('UnavailableReplies', () => {
  it('makes a batch due afterMs after it started; never without afterMs', () => {
    expect(new UnavailableReplies(3000).dueAt(1000)).toBe(4000);
    expect(new UnavailableReplies(undefined).dueAt(1000)).toBe(Infinity);
  });

  it('remembers whom it told until their entries are settled', () => {
    const replies = new UnavailableReplies(3000);
    replies.markAnswered(entries('1-0', '2-0'));
    expect(replies.unanswered(entries('1-0', '2-0', '3-0')).map((e) => e.id)).toEqual(['3-0']);
    replies.settled(entries('1-0'));
    expect([...replies.answered]).toEqual(['2-0']);
  });

  it('looks behind a batch from the newest entry answered, comparing ids as numbers', () => {
    const replies = new UnavailableReplies(3000);
    expect(replies.peekFrom('9-0')).toBe('9-0');
    replies.markAnswered(entries('9-0', '10-0', '10-2'));
    expect(replies.peekFrom('9-0')).toBe('10-2');
    expect(replies.peekFrom('11-0')).toBe('11-0');
    replies.settled(entries('9-0', '10-0', '10-2'));
    expect(replies.peekFrom('9-0')).toBe('9-0');
  });

  it('shortens a retry wait that would overshoot the moment replies fall due', () => {
    const replies = new UnavailableReplies(3000);
    expect(replies.waitBefore(2000, 4000, 1500)).toBe(2000);
    expect(replies.waitBefore(2000, 4000, 3500)).toBe(500);
    expect(replies.waitBefore(2000, 4000, 5000)).toBe(2000);
  });
});
