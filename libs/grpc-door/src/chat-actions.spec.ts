import { actionToOp, ClientAction, resultData, sendOp } from './chat-actions';

const message = {
  id: 'r1:3',
  roomId: 'r1',
  seq: 3,
  author: { id: 'u1', username: 'ann' },
  text: 'hi',
  createdAt: '2026-01-02T03:04:05.678Z',
  reactions: [],
  attachments: [],
};

describe('ChatStream actions as ops', () => {
  const action = (fields: Partial<ClientAction>): ClientAction => ({ ref: '', ...fields });

  it.each([
    [{ action: 'typing_start', typing_start: { room_id: 'r1' } }, { op: 'typing.start', data: { roomId: 'r1' } }],
    [{ action: 'typing_stop', typing_stop: { room_id: 'r1' } }, { op: 'typing.stop', data: { roomId: 'r1' } }],
    [{ action: 'join', join: { room_id: 'r1' } }, { op: 'room.join', data: { roomId: 'r1' } }],
    [{ action: 'leave', leave: { room_id: 'r1' } }, { op: 'room.leave', data: { roomId: 'r1' } }],
    [{ action: 'read_mark', read_mark: { room_id: 'r1', seq: 7 } }, { op: 'read.mark', data: { roomId: 'r1', seq: 7 } }],
    [{ action: 'resume', resume: { rooms: { r1: 4, r2: 0 } } }, { op: 'resume', data: { rooms: { r1: 4, r2: 0 } } }],
    [{ action: 'auth_refresh', auth_refresh: { token: 't' } }, { op: 'auth.refresh', data: { token: 't' } }],
  ] as const)('maps %j', (fields, expected) => {
    expect(actionToOp(action(fields as Partial<ClientAction>))).toEqual(expected);
  });

  it('maps a send, leaving out the optional fields that are not set', () => {
    expect(sendOp({ room_id: 'r1', text: 't', client_msg_id: 'c', attachments: [] })).toEqual({
      op: 'message.send',
      data: { roomId: 'r1', text: 't', clientMsgId: 'c' },
    });
    expect(sendOp({ room_id: 'r1', text: 't', client_msg_id: 'c', reply_to: 'r1:1', attachments: ['a1'] }).data).toMatchObject({
      replyTo: 'r1:1',
      attachments: ['a1'],
    });
  });

  it('has no op for an action with nothing set', () => {
    expect(actionToOp(action({}))).toBeUndefined();
  });

  it('puts the reply of each op in its place of the ActionResult', () => {
    expect(resultData('message.send', { message })).toMatchObject({ message: { id: 'r1:3', room_id: 'r1', created_at: { seconds: 1767323045, nanos: 678_000_000 } } });
    expect(resultData('read.mark', { seq: 9 })).toEqual({ read_seq: 9 });
    expect(resultData('resume', { replayed: 2, truncated: [], forbidden: ['r9'] })).toEqual({ resumed: { replayed: 2, truncated: [], forbidden: ['r9'] } });
    expect(resultData('auth.refresh', { expiresAt: '2026-01-02T03:04:05.000Z' })).toEqual({ expires_at: { seconds: 1767323045, nanos: 0 } });
    expect(resultData('typing.start', {})).toEqual({});
  });
});
