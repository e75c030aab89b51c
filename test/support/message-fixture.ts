import type { Message } from '@chat/protocol';

/** A message as the server sends it: `m<seq>` in room `r1` by `u-other`, unless told otherwise. */
export function messageFixture(seq: number, { roomId = 'r1', authorId = 'u-other' }: { roomId?: string; authorId?: string } = {}): Message {
  return {
    id: `${roomId}:${seq}`,
    roomId,
    seq,
    author: { id: authorId, username: authorId.replace(/^u-/, '') },
    text: `m${seq}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    reactions: [],
    attachments: [],
  };
}
