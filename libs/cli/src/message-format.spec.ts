import type { Message } from '@chat/protocol';
import { messageLine } from './message-format';

const base: Message = {
  id: 'r1:12',
  roomId: 'r1',
  seq: 12,
  author: { id: 'u1', username: 'alice' },
  text: 'hello there',
  createdAt: new Date(2026, 0, 2, 9, 5).toISOString(),
  reactions: [],
  attachments: [],
};

describe('messageLine', () => {
  it('shows [seq] HH:MM author: text', () => {
    expect(messageLine(base)).toBe('[12] 09:05 alice: hello there');
  });

  it('marks replies, edits, deletions and reactions', () => {
    expect(messageLine({ ...base, replyTo: 'r1:3' }, 3)).toBe('[12] 09:05 alice ↪ [3]: hello there');
    expect(messageLine({ ...base, replyTo: 'r1:3' })).toBe('[12] 09:05 alice ↪ [?]: hello there');
    expect(messageLine({ ...base, editedAt: base.createdAt })).toBe('[12] 09:05 alice: hello there (edited)');
    expect(messageLine({ ...base, text: '', deletedAt: base.createdAt })).toBe('[12] 09:05 alice: (deleted)');
    const reactions = [
      { emoji: '👍', count: 2, userIds: ['u1', 'u2'] },
      { emoji: '🎉', count: 1, userIds: ['u2'] },
    ];
    expect(messageLine({ ...base, reactions })).toBe('[12] 09:05 alice: hello there {👍 2, 🎉 1}');
  });

  it('keeps one line per message', () => {
    expect(messageLine({ ...base, text: 'one\ntwo\r\nthree' })).toBe('[12] 09:05 alice: one ⏎ two ⏎ three');
  });
});
