import { ErrorCode } from './error-codes';
import {
  PONG_FRAME,
  ServerEvent,
  eventFrame,
  eventFrameRaw,
  failureFrame,
  replyError,
  replyOk,
  replyOkRaw,
} from './server-frames';

describe('server frames', () => {
  const message = { id: 'r1:1', roomId: 'r1', seq: 1, text: 'say "hi"\n\u2028</script>', reactions: [] };

  it('uses the event names of PROTOCOL.md', () => {
    expect(ServerEvent).toMatchObject({
      HELLO: 'hello',
      PONG: 'pong',
      ERROR: 'error',
      MESSAGE_CREATED: 'message.created',
      MESSAGE_UPDATED: 'message.updated',
      MESSAGE_DELETED: 'message.deleted',
      MEMBER_JOINED: 'room.member_joined',
      MEMBER_LEFT: 'room.member_left',
      REACTION_UPDATED: 'reaction.updated',
      READ_UPDATED: 'read.updated',
      TYPING_UPDATED: 'typing.updated',
      PRESENCE_UPDATED: 'presence.updated',
    });
  });

  it('eventFrame is {type, data} as JSON text', () => {
    const text = eventFrame(ServerEvent.MESSAGE_CREATED, message);
    expect(typeof text).toBe('string');
    expect(JSON.parse(text)).toEqual({ type: 'message.created', data: message });
  });

  it('eventFrameRaw splices pre-serialized data in unchanged', () => {
    const dataJson = JSON.stringify(message);
    const text = eventFrameRaw(ServerEvent.MESSAGE_CREATED, dataJson);
    expect(text).toContain(dataJson);
    expect(text).toBe(eventFrame(ServerEvent.MESSAGE_CREATED, message));
    expect(JSON.parse(text)).toEqual({ type: 'message.created', data: message });
  });

  it('escapes the type', () => {
    expect(JSON.parse(eventFrame('we"ird\\', {}))).toEqual({ type: 'we"ird\\', data: {} });
  });

  it('replyOk carries ref, ok:true and data (default {})', () => {
    expect(JSON.parse(replyOk('c1', { room: { id: 'r1' } }))).toEqual({ type: 'reply', ref: 'c1', ok: true, data: { room: { id: 'r1' } } });
    expect(JSON.parse(replyOk('c2'))).toEqual({ type: 'reply', ref: 'c2', ok: true, data: {} });
  });

  it('replyOkRaw splices data and escapes the ref', () => {
    const ref = 'a"b\\c\n';
    const text = replyOkRaw(ref, '{"message":{"seq":3}}');
    expect(JSON.parse(text)).toEqual({ type: 'reply', ref, ok: true, data: { message: { seq: 3 } } });
    expect(text).toBe(replyOk(ref, { message: { seq: 3 } }));
  });

  it('replyError carries ref, ok:false and the error body, retryAfterMs included', () => {
    const error = { code: ErrorCode.RATE_LIMITED, message: 'slow down', retryAfterMs: 1200 };
    expect(JSON.parse(replyError('c1', error))).toEqual({ type: 'reply', ref: 'c1', ok: false, error });
  });

  it('failureFrame is a reply with a ref and an error event without one', () => {
    const error = { code: ErrorCode.BAD_REQUEST, message: 'bad frame' };
    expect(JSON.parse(failureFrame('c3', error))).toEqual({ type: 'reply', ref: 'c3', ok: false, error });
    expect(JSON.parse(failureFrame(undefined, error))).toEqual({ type: 'error', data: error });
    // An empty ref is still a ref.
    expect(JSON.parse(failureFrame('', error))).toEqual({ type: 'reply', ref: '', ok: false, error });
  });

  it('PONG_FRAME is {"type":"pong"}', () => {
    expect(JSON.parse(PONG_FRAME)).toEqual({ type: 'pong' });
  });
});
