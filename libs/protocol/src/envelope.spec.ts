import { isOp } from './client-frames.schema';
import { Envelope, InternalOp, InternalOpData, envelopeFields, envelopeFromFields } from './envelope';

describe('envelope', () => {
  const envelope: Envelope = {
    f: JSON.stringify({ type: 'message.send', ref: 'c1', data: { roomId: 'r1', text: 'hi', clientMsgId: 'm1' } }),
    u: 'u123',
    n: 'alice',
    g: 'gw-a',
    c: 'c456',
    t: 1_700_000_000_123,
  };

  it('round-trips every field through a flat stream entry', () => {
    const fields = envelopeFields(envelope);
    expect(fields.every((x) => typeof x === 'string')).toBe(true);
    expect(fields).toHaveLength(12);
    expect(envelopeFromFields(fields)).toEqual(envelope);
  });

  it('keeps the client frame text unchanged', () => {
    const f = '{"type":"message.send" , "data":{"text":"a\\nb"}}';
    expect(envelopeFromFields(envelopeFields({ ...envelope, f })).f).toBe(f);
  });

  it('does not depend on field order and ignores unknown fields', () => {
    const fields = ['t', '5', 'c', 'c1', 'g', 'g1', 'n', 'bob', 'u', 'u1', 'f', '{}', 'x', 'extra'];
    expect(envelopeFromFields(fields)).toEqual({ f: '{}', u: 'u1', n: 'bob', g: 'g1', c: 'c1', t: 5 });
  });

  it.each(['f', 'u', 'n', 'g', 'c', 't'])('rejects an entry without %s', (name) => {
    const fields = envelopeFields(envelope);
    const at = fields.indexOf(name);
    fields.splice(at, 2);
    expect(() => envelopeFromFields(fields)).toThrow();
  });

  it('rejects a non-numeric time and an empty entry', () => {
    const fields = envelopeFields(envelope);
    fields[fields.indexOf('t') + 1] = 'yesterday';
    expect(() => envelopeFromFields(fields)).toThrow();
    expect(() => envelopeFromFields([])).toThrow();
  });

  it('internal ops start with $ and are never client ops', () => {
    for (const op of Object.values(InternalOp)) {
      expect(op.startsWith('$')).toBe(true);
      expect(isOp(op)).toBe(false);
    }
  });

  it('validates $catchup data', () => {
    expect(InternalOpData[InternalOp.CATCHUP].safeParse({ roomId: 'r1', after: 0 }).success).toBe(true);
    expect(InternalOpData[InternalOp.CATCHUP].safeParse({ roomId: 'r1', after: -1 }).success).toBe(false);
    expect(InternalOpData[InternalOp.CATCHUP].safeParse({ roomId: '', after: 1 }).success).toBe(false);
    expect(InternalOpData[InternalOp.SESSION_SYNC].safeParse(undefined).success).toBe(true);
  });
});
