import { parseClientFrame } from './frame-parser';
import { MAX_SEQ } from './limits';

const frame = (type: string, data: unknown) => JSON.stringify({ type, ref: 'r1', data });

function expectBadRequest(raw: string): void {
  const parsed = parseClientFrame(raw);
  expect(parsed).toMatchObject({ ok: false, ref: 'r1', error: { code: 'BAD_REQUEST' } });
}

describe('input PostgreSQL would reject is BAD_REQUEST at the edge', () => {
  it('refuses NUL and control characters in ids', () => {
    expectBadRequest(frame('message.send', { roomId: 'r\u0000x', text: 'hi', clientMsgId: 'm1' }));
    expectBadRequest(frame('room.join', { roomId: 'r\u0007x' }));
    expectBadRequest(frame('dm.open', { userId: 'u\u0085' }));
    expectBadRequest(frame('message.send', { roomId: 'r1', text: 'hi', clientMsgId: 'm\u0000' }));
    expectBadRequest(frame('reaction.add', { messageId: 'r1:1', emoji: '\u0000' }));
  });

  it('refuses NUL in free text, keeps newlines and tabs', () => {
    expectBadRequest(frame('message.send', { roomId: 'r1', text: 'a\u0000b', clientMsgId: 'm1' }));
    expectBadRequest(frame('room.kick', { roomId: 'r1', userId: 'u1', reason: '\u0000' }));
    expect(parseClientFrame(frame('message.send', { roomId: 'r1', text: 'a\n\tb', clientMsgId: 'm1' }))).toMatchObject({ ok: true });
  });

  it('refuses seqs beyond the integer column, accepts the largest one', () => {
    expectBadRequest(frame('message.send', { roomId: 'r1', text: 'x', clientMsgId: 'm1', replyTo: 'r1:3000000000' }));
    expectBadRequest(frame('read.mark', { roomId: 'r1', seq: MAX_SEQ + 1 }));
    expectBadRequest(frame('resume', { rooms: { r1: 2 ** 40 } }));
    expectBadRequest(frame('message.history', { roomId: 'r1', beforeSeq: 1e12 }));
    expectBadRequest(frame('message.edit', { messageId: 'r1:99999999999', text: 'x' }));
    // Not of our shape, or seq 0: simply no such message (NOT_FOUND from the service), not bad input.
    expect(parseClientFrame(frame('message.delete', { messageId: 'garbage' }))).toMatchObject({ ok: true });
    expect(parseClientFrame(frame('message.delete', { messageId: 'r1:0' }))).toMatchObject({ ok: true });
    expect(parseClientFrame(frame('read.mark', { roomId: 'r1', seq: MAX_SEQ }))).toMatchObject({ ok: true });
    expect(parseClientFrame(frame('message.delete', { messageId: `r1:${MAX_SEQ}` }))).toMatchObject({ ok: true });
  });

  it('normalises room names and topics: bidi overrides and controls go, invisible-only names are refused', () => {
    const parsed = parseClientFrame(frame('room.create', { name: ' \u202egnp.exe\u202c ', topic: 'a\u0000b\u2066c' }));
    expect(parsed).toMatchObject({ ok: true, frame: { data: { name: 'gnp.exe', topic: 'a bc' } } });
    expectBadRequest(frame('room.create', { name: '\u200b\u200b\ufeff' }));
    expectBadRequest(frame('room.create', { name: '\u202e' }));
    expectBadRequest(frame('room.create', { name: 'x'.repeat(81) }));
    expect(parseClientFrame(frame('room.create', { name: 'café' }))).toMatchObject({ ok: true });
  });
});
