import { Message } from '@chat/protocol';
import { MAX_BODY_CHARS, notificationOf, shortened } from './push-notification';

const message = (text: string): Message => ({
  id: 'r1:5',
  roomId: 'r1',
  seq: 5,
  author: { id: 'u1', username: 'alice' },
  text,
  createdAt: '2026-12-03T10:00:00.000Z',
  reactions: [],
  attachments: [],
});

describe('notificationOf', () => {
  it('titles a room message with author and room, a DM with the author alone', () => {
    expect(notificationOf(message('hi'), { name: 'general', kind: 'public' })).toEqual({
      title: 'alice in #general',
      body: 'hi',
      roomId: 'r1',
      messageId: 'r1:5',
      url: '/?room=r1&message=r1%3A5',
    });
    expect(notificationOf(message('hi'), { name: 'dm', kind: 'dm' }).title).toBe('alice');
  });

  it('shortens the text to one line', () => {
    const body = notificationOf(message(`line one\n\nline   two ${'x'.repeat(400)}`), { name: 'g', kind: 'public' }).body;
    expect(body.startsWith('line one line two x')).toBe(true);
    expect(Array.from(body)).toHaveLength(MAX_BODY_CHARS);
    expect(body.endsWith('…')).toBe(true);
  });
});

describe('shortened', () => {
  it('never cuts an emoji in half', () => {
    expect(shortened('😀😀😀😀', 3)).toBe('😀😀…');
    expect(shortened('short', 10)).toBe('short');
  });
});
