import { OPS, Op } from './client-frames.schema';
import { InternalOp } from './envelope';
import { ErrorCode } from './error-codes';
import { ParsedFrame, parseClientFrame, parseOpData } from './frame-parser';
import { MAX_HISTORY_LIMIT, MAX_REF_LENGTH, MAX_TEXT_LENGTH } from './limits';

/** Every op of PROTOCOL.md's table (plus auth and ping), with the example shape of its data. */
const EXAMPLES: Record<string, unknown> = {
  auth: { token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' },
  ping: undefined,
  'room.create': { name: 'general', topic: 'anything goes', kind: 'private' },
  'room.list': undefined,
  'room.join': { roomId: 'r1' },
  'room.leave': { roomId: 'r1' },
  'room.members': { roomId: 'r1' },
  'room.invite': { roomId: 'r1', userId: 'u2' },
  'dm.open': { userId: 'u2' },
  'message.send': { roomId: 'r1', text: 'hello', clientMsgId: 'c-1', replyTo: 'r1:3' },
  'message.edit': { messageId: 'r1:3', text: 'hello again' },
  'message.delete': { messageId: 'r1:3' },
  'message.history': { roomId: 'r1', beforeSeq: 40, limit: 20 },
  'reaction.add': { messageId: 'r1:3', emoji: '👍' },
  'reaction.remove': { messageId: 'r1:3', emoji: '👍' },
  'read.mark': { roomId: 'r1', seq: 12 },
  'typing.start': { roomId: 'r1' },
  'typing.stop': { roomId: 'r1' },
  'presence.set': { status: 'away' },
  resume: { rooms: { r1: 10, r2: 0 } },
  search: { query: 'hello', roomId: 'r1', authorId: 'u2', limit: 10 },
};

const frame = (type: unknown, data?: unknown, ref: unknown = 'c1'): string =>
  JSON.stringify({ type, ref, ...(data === undefined ? {} : { data }) });

function expectOk(parsed: ParsedFrame) {
  if (!parsed.ok) throw new Error(`expected ok, got ${JSON.stringify(parsed)}`);
  return parsed.frame;
}

/** `ref`: the ref the error must carry, null for none. */
function expectBad(parsed: ParsedFrame, ref: string | null = 'c1', messagePart?: string | RegExp) {
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  expect(parsed.error.code).toBe(ErrorCode.BAD_REQUEST);
  expect(parsed.ref ?? null).toBe(ref);
  expect(typeof parsed.error.message).toBe('string');
  if (messagePart !== undefined) expect(parsed.error.message).toMatch(messagePart);
}

describe('parseClientFrame', () => {
  it('knows every op of PROTOCOL.md', () => {
    expect([...OPS].sort()).toEqual(expect.arrayContaining(Object.keys(EXAMPLES).sort()));
  });

  describe.each(Object.entries(EXAMPLES))('op %s', (type, data) => {
    it('accepts the documented data shape and keeps ref and data', () => {
      const parsed = expectOk(parseClientFrame(frame(type, data)));
      expect(parsed.type).toBe(type);
      expect(parsed.ref).toBe('c1');
      if (data !== undefined) expect(parsed.data).toEqual(data);
    });

    it('accepts it without a ref', () => {
      const parsed = expectOk(parseClientFrame(JSON.stringify({ type, data })));
      expect(parsed.ref).toBeUndefined();
    });
  });

  describe.each(Object.entries(EXAMPLES).filter(([, data]) => data !== undefined))('op %s with bad data', (type, data) => {
    it('rejects missing data', () => {
      expectBad(parseClientFrame(frame(type)), 'c1', type);
    });

    it('rejects data that is not an object', () => {
      expectBad(parseClientFrame(frame(type, 'text')));
      expectBad(parseClientFrame(frame(type, [data])));
    });

    it.each(Object.keys(data as object))('rejects a mistyped %s', (field) => {
      const value = (data as Record<string, unknown>)[field];
      const wrong = typeof value === 'number' ? String(value) : typeof value === 'object' ? 'x' : 42;
      expectBad(parseClientFrame(frame(type, { ...(data as object), [field]: wrong })), 'c1', field);
    });
  });

  it.each([
    ['room.create', 'name'],
    ['room.join', 'roomId'],
    ['room.invite', 'userId'],
    ['message.send', 'roomId'],
    ['message.send', 'text'],
    ['message.send', 'clientMsgId'],
    ['message.edit', 'messageId'],
    ['message.edit', 'text'],
    ['reaction.add', 'emoji'],
    ['read.mark', 'seq'],
    ['presence.set', 'status'],
    ['resume', 'rooms'],
    ['search', 'query'],
  ])('%s without %s is BAD_REQUEST naming the field', (type, field) => {
    const data = { ...(EXAMPLES[type] as object) } as Record<string, unknown>;
    delete data[field];
    expectBad(parseClientFrame(frame(type, data)), 'c1', field);
  });

  it('accepts ping and room.list with an empty object or null data', () => {
    expectOk(parseClientFrame(frame('ping', {})));
    expectOk(parseClientFrame(frame('room.list', {})));
    expectOk(parseClientFrame(JSON.stringify({ type: 'ping', data: null })));
  });

  it('fills in defaults: room.create kind is public', () => {
    const parsed = expectOk(parseClientFrame(frame('room.create', { name: 'general' })));
    expect(parsed.data).toEqual({ name: 'general', kind: 'public' });
  });

  it('drops unknown fields instead of rejecting them, at the top level and in data', () => {
    const raw = JSON.stringify({ type: 'message.send', ref: 'c9', v: 2, data: { ...(EXAMPLES['message.send'] as object), color: 'red' } });
    const parsed = expectOk(parseClientFrame(raw));
    expect(parsed).toEqual({ type: 'message.send', ref: 'c9', data: EXAMPLES['message.send'] });
    expect(parsed.data).not.toHaveProperty('color');
    expect(parsed).not.toHaveProperty('v');
  });

  describe('frames that are not frames', () => {
    it.each(['', '{', 'hello', '{"type":"ping"', "{'type':'ping'}"])('rejects non-JSON %j without a ref', (raw) => {
      expectBad(parseClientFrame(raw), null, /JSON/);
    });

    it.each(['null', '42', '"ping"', '[]', 'true'])('rejects JSON %s that is not an object', (raw) => {
      expectBad(parseClientFrame(raw), null);
    });

    it('rejects a frame without type, keeping its ref', () => {
      expectBad(parseClientFrame(JSON.stringify({ ref: 'r7', data: { roomId: 'r1' } })), 'r7', 'type');
    });

    it('rejects a non-string or empty type, keeping its ref', () => {
      expectBad(parseClientFrame(JSON.stringify({ type: 5, ref: 'r8' })), 'r8');
      expectBad(parseClientFrame(JSON.stringify({ type: '', ref: 'r8' })), 'r8');
      expectBad(parseClientFrame(JSON.stringify({ type: ['ping'], ref: 'r8' })), 'r8');
    });

    it('rejects an unknown type, keeping its ref and naming the type', () => {
      expectBad(parseClientFrame(frame('message.explode', {}, 'r9')), 'r9', 'message.explode');
    });

    it('rejects internal $ ops from clients', () => {
      expectBad(parseClientFrame(frame(InternalOp.CATCHUP, { roomId: 'r1', after: 0 })));
      expectBad(parseClientFrame(frame(InternalOp.SESSION_SYNC)));
    });

    it('does not take inherited property names for ops', () => {
      expectBad(parseClientFrame(frame('constructor', {})));
      expectBad(parseClientFrame(frame('__proto__', {})));
      expectBad(parseClientFrame(frame('toString', {})));
    });

    it('never throws, whatever it is given', () => {
      const inputs = ['{"type":null}', '{"type":"message.send","data":null}', '{"__proto__":{"type":"ping"}}', '\u0000', '{"type":"ping","ref":{}}'];
      for (const raw of inputs) expect(() => parseClientFrame(raw)).not.toThrow();
      for (const raw of inputs) expect(parseClientFrame(raw).ok).toBe(false);
    });
  });

  describe('ref', () => {
    it(`accepts a ref of ${MAX_REF_LENGTH} chars`, () => {
      const ref = 'x'.repeat(MAX_REF_LENGTH);
      expect(expectOk(parseClientFrame(frame('ping', undefined, ref))).ref).toBe(ref);
    });

    it(`rejects a ref over ${MAX_REF_LENGTH} chars (and does not echo it)`, () => {
      expectBad(parseClientFrame(frame('ping', undefined, 'x'.repeat(MAX_REF_LENGTH + 1))), null, 'ref');
    });

    it('rejects a ref that is not a string', () => {
      expectBad(parseClientFrame(frame('ping', undefined, 7)), null, 'ref');
    });

    it('keeps the ref when only data is bad', () => {
      expectBad(parseClientFrame(frame('room.join', { roomId: 5 }, 'keep-me')), 'keep-me', 'roomId');
    });
  });

  describe('message text', () => {
    const send = (text: unknown) => parseClientFrame(frame('message.send', { roomId: 'r1', clientMsgId: 'c', text }));

    it(`accepts 1 and ${MAX_TEXT_LENGTH} chars, and keeps surrounding whitespace`, () => {
      expectOk(send('a'));
      expectOk(send('é'.repeat(MAX_TEXT_LENGTH)));
      expect(expectOk(send('  hi\n')).data).toMatchObject({ text: '  hi\n' });
    });

    it(`rejects more than ${MAX_TEXT_LENGTH} chars`, () => {
      expectBad(send('a'.repeat(MAX_TEXT_LENGTH + 1)), 'c1', 'text');
    });

    it.each(['', ' ', '\n\t  \r\n'])('rejects empty or whitespace-only text %j', (text) => {
      expectBad(send(text), 'c1', 'text');
    });

    it('applies the same rules to message.edit', () => {
      expectBad(parseClientFrame(frame('message.edit', { messageId: 'r1:1', text: '   ' })), 'c1', 'text');
      expectBad(parseClientFrame(frame('message.edit', { messageId: 'r1:1', text: 'a'.repeat(MAX_TEXT_LENGTH + 1) })), 'c1', 'text');
    });

    it('rejects ids and clientMsgIds over 64 chars', () => {
      expectBad(parseClientFrame(frame('message.send', { roomId: 'r'.repeat(65), clientMsgId: 'c', text: 'x' })), 'c1', 'roomId');
      expectBad(parseClientFrame(frame('message.send', { roomId: 'r1', clientMsgId: 'c'.repeat(65), text: 'x' })), 'c1', 'clientMsgId');
      expectBad(parseClientFrame(frame('message.send', { roomId: '', clientMsgId: 'c', text: 'x' })), 'c1', 'roomId');
    });
  });

  describe('message.history', () => {
    const history = (data: object) => parseClientFrame(frame('message.history', { roomId: 'r1', ...data }));

    it(`accepts limit 1..${MAX_HISTORY_LIMIT} and no beforeSeq/limit`, () => {
      expectOk(history({ limit: 1 }));
      expectOk(history({ limit: MAX_HISTORY_LIMIT }));
      expect(expectOk(history({})).data).toEqual({ roomId: 'r1' });
    });

    it.each([MAX_HISTORY_LIMIT + 1, 0, -1, 2.5])('rejects limit %p', (limit) => {
      expectBad(history({ limit }), 'c1', 'limit');
    });

    it.each([0, -3, 1.5])('rejects beforeSeq %p', (beforeSeq) => {
      expectBad(history({ beforeSeq }), 'c1', 'beforeSeq');
    });
  });

  describe('other bounds', () => {
    it.each(['offline', 'busy', 'ONLINE', ''])('rejects presence status %j', (status) => {
      expectBad(parseClientFrame(frame('presence.set', { status })), 'c1', 'status');
    });

    it.each(['online', 'away', 'dnd'])('accepts presence status %s', (status) => {
      expectOk(parseClientFrame(frame('presence.set', { status })));
    });

    it('rejects room kind dm or unknown from room.create, and a blank name', () => {
      expectBad(parseClientFrame(frame('room.create', { name: 'x', kind: 'dm' })), 'c1', 'kind');
      expectBad(parseClientFrame(frame('room.create', { name: 'x', kind: 'secret' })), 'c1', 'kind');
      expectBad(parseClientFrame(frame('room.create', { name: '   ' })), 'c1', 'name');
    });

    it('rejects a negative or fractional read.mark seq, accepts 0', () => {
      expectBad(parseClientFrame(frame('read.mark', { roomId: 'r1', seq: -1 })), 'c1', 'seq');
      expectBad(parseClientFrame(frame('read.mark', { roomId: 'r1', seq: 1.5 })), 'c1', 'seq');
      expectOk(parseClientFrame(frame('read.mark', { roomId: 'r1', seq: 0 })));
    });

    it('rejects resume with a bad seq', () => {
      expectBad(parseClientFrame(frame('resume', { rooms: { r1: -1 } })), 'c1', 'rooms');
      expectBad(parseClientFrame(frame('resume', { rooms: { r1: '3' } })), 'c1', 'rooms');
      expectBad(parseClientFrame(frame('resume', { rooms: [1, 2] })), 'c1', 'rooms');
      expectOk(parseClientFrame(frame('resume', { rooms: {} })));
    });

    it('rejects a blank search query and a search limit over 50', () => {
      expectBad(parseClientFrame(frame('search', { query: '  ' })), 'c1', 'query');
      expectBad(parseClientFrame(frame('search', { query: 'x', limit: 51 })), 'c1', 'limit');
    });
  });
});

describe('parseOpData (services re-validate stream entries)', () => {
  it('accepts good data and rejects bad data of a known op', () => {
    expect(parseOpData('read.mark', { roomId: 'r1', seq: 3 })).toEqual({ ok: true, data: { roomId: 'r1', seq: 3 } });
    const bad = parseOpData('read.mark', { roomId: 'r1' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch('seq');
  });

  it('treats missing data as {} except for ops that take none', () => {
    expect(parseOpData('room.join', undefined).ok).toBe(false);
    expect(parseOpData('ping', undefined).ok).toBe(true);
    expect(parseOpData('room.list', undefined).ok).toBe(true);
  });

  it.each(Object.entries(EXAMPLES))('accepts the example of %s', (op, data) => {
    expect(parseOpData(op as Op, data).ok).toBe(true);
  });
});
