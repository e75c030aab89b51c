import { toProtoEvent, toProtoMember, toProtoMessage, toProtoRoom } from './proto-objects';

describe('protocol objects as proto messages', () => {
  const message = {
    id: 'r1:3',
    roomId: 'r1',
    seq: 3,
    author: { id: 'u1', username: 'ann' },
    text: 'hi @bo',
    createdAt: '2026-01-02T03:04:05.678Z',
    editedAt: '2026-01-02T03:05:00.000Z',
    clientMsgId: 'c3',
    reactions: [{ emoji: '👍', count: 1, userIds: ['u2'] }],
    attachments: [{ id: 'a1', name: 'x.png', size: 10, type: 'image/png', width: 2, height: 3, url: '/api/attachments/a1' }],
    mentions: ['u2'],
  };

  it('maps a message: snake_case, Timestamps, optionals unset when absent', () => {
    expect(toProtoMessage(message)).toEqual({
      id: 'r1:3',
      room_id: 'r1',
      seq: 3,
      author: { id: 'u1', username: 'ann' },
      text: 'hi @bo',
      created_at: { seconds: 1767323045, nanos: 678_000_000 },
      edited_at: { seconds: 1767323100, nanos: 0 },
      deleted_at: undefined,
      reply_to: undefined,
      client_msg_id: 'c3',
      reactions: [{ emoji: '👍', count: 1, user_ids: ['u2'] }],
      attachments: [{ id: 'a1', name: 'x.png', size: 10, type: 'image/png', width: 2, height: 3, url: '/api/attachments/a1' }],
      mentions: ['u2'],
      mentions_room: false,
    });
  });

  it('maps a room listing and a member', () => {
    const room = { id: 'r1', name: 'n', topic: '', kind: 'public' as const, createdBy: 'u1', createdAt: '2026-01-01T00:00:00Z', lastSeq: 4, memberCount: 2 };
    expect(toProtoRoom({ ...room, unread: 1, joined: true, notify: 'all' })).toMatchObject({ created_by: 'u1', last_seq: 4, member_count: 2, unread: 1, joined: true, notify: 'all' });
    expect(toProtoRoom(room)).toMatchObject({ unread: 0, joined: false, notify: undefined });
    expect(toProtoMember({ id: 'u1', username: 'ann', role: 'owner', presence: 'away' })).toEqual({ id: 'u1', username: 'ann', role: 'owner', presence: 'away', muted_until: undefined });
  });

  it('maps each event to its field of ServerEvent, and any other event to `other` with its JSON', () => {
    expect(toProtoEvent('message.created', message)).toHaveProperty('message_created.seq', 3);
    expect(toProtoEvent('message.updated', message)).toHaveProperty('message_updated.id', 'r1:3');
    expect(toProtoEvent('message.deleted', { id: 'r1:3', roomId: 'r1', seq: 3, deletedBy: 'u1' })).toEqual({
      message_deleted: { id: 'r1:3', room_id: 'r1', seq: 3, deleted_by: 'u1' },
    });
    expect(toProtoEvent('typing.updated', { roomId: 'r1', userIds: ['u1'] })).toEqual({ typing_updated: { room_id: 'r1', user_ids: ['u1'] } });
    expect(toProtoEvent('presence.updated', { userId: 'u1', status: 'offline', lastSeenAt: '2026-01-01T00:00:01Z' })).toEqual({
      presence_updated: { user_id: 'u1', status: 'offline', last_seen_at: { seconds: 1767225601, nanos: 0 } },
    });
    expect(toProtoEvent('room.member_left', { roomId: 'r1', userId: 'u2', reason: 'kicked', by: 'u1' })).toEqual({
      member_left: { room_id: 'r1', user_id: 'u2', reason: 'kicked', by: 'u1' },
    });
    expect(toProtoEvent('read.updated', { roomId: 'r1', userId: 'u1', seq: 2 })).toEqual({ read_updated: { room_id: 'r1', user_id: 'u1', seq: 2 } });
    expect(toProtoEvent('reaction.updated', { messageId: 'r1:3', roomId: 'r1', emoji: '👍', count: 0, userIds: [] })).toHaveProperty('reaction_updated.message_id', 'r1:3');
    expect(toProtoEvent('room.member_muted', { roomId: 'r1', userId: 'u2', until: null, by: 'u1' })).toEqual({
      other: { type: 'room.member_muted', data_json: '{"roomId":"r1","userId":"u2","until":null,"by":"u1"}' },
    });
  });
});
