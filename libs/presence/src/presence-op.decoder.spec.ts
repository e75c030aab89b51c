import { envelopeFields, InternalOp } from '@chat/protocol';
import { createLogger } from '@chat/observability';
import { ChatEffects } from '@chat/streams';
import { decodePresenceOp } from './presence-op.decoder';
import { connectionMember, parseConnectionMember } from './presence.store';

const logger = createLogger('test', 'silent');
const entry = (f: string) => ({ id: '1-0', fields: envelopeFields({ f, u: 'u1', n: 'alice', g: 'g1', c: 'c1', t: 1 }) });

describe('decodePresenceOp', () => {
  it('decodes the internal ops a gateway sends, with or without data', () => {
    for (const type of [InternalOp.PRESENCE_CONNECT, InternalOp.PRESENCE_DISCONNECT, InternalOp.GATEWAY_HEARTBEAT]) {
      expect(decodePresenceOp(entry(JSON.stringify({ type })), new ChatEffects(), logger)).toMatchObject({ type, env: { u: 'u1', c: 'c1' } });
      expect(decodePresenceOp(entry(JSON.stringify({ type, data: {} })), new ChatEffects(), logger)).toMatchObject({ type });
    }
  });

  it('decodes typing and presence.set frames with their ref', () => {
    const out = new ChatEffects();
    expect(decodePresenceOp(entry('{"type":"typing.start","ref":"r1","data":{"roomId":"room1"}}'), out, logger)).toMatchObject({
      type: 'typing.start',
      ref: 'r1',
      roomId: 'room1',
    });
    expect(decodePresenceOp(entry('{"type":"presence.set","data":{"status":"dnd"}}'), out, logger)).toMatchObject({ status: 'dnd' });
    expect(out.size).toBe(0);
  });

  it('tells internal ops by the parsed type, not the raw text a client controls', () => {
    const out = new ChatEffects();
    // Duplicate keys: the last "type" wins in JSON.parse, as it did at the gateway.
    const sneaky = '{"type":"$presence.disconnect","ref":"r9","type":"typing.start","data":{"roomId":"room1"}}';
    expect(decodePresenceOp(entry(sneaky), out, logger)).toMatchObject({ type: 'typing.start', ref: 'r9', roomId: 'room1' });
    expect(out.size).toBe(0);
  });

  it('answers bad and foreign client frames, and drops what has nobody to answer', () => {
    const out = new ChatEffects();
    expect(decodePresenceOp(entry('{"type":"typing.start","ref":"r1","data":{}}'), out, logger)).toBeUndefined();
    expect(decodePresenceOp(entry('{"type":"message.send","ref":"r2","data":{"roomId":"a","text":"x","clientMsgId":"m"}}'), out, logger)).toBeUndefined();
    expect(decodePresenceOp(entry('nope'), out, logger)).toBeUndefined();
    expect(out.size).toBe(3);
    expect(decodePresenceOp(entry('{"type":"$catchup","data":{}}'), out, logger)).toBeUndefined();
    expect(decodePresenceOp({ id: '2-0', fields: ['f', '{}'] }, out, logger)).toBeUndefined();
    expect(out.size).toBe(3);
  });
});

describe('connection members', () => {
  it('round-trip "userId connectionId" and reject malformed ones', () => {
    expect(parseConnectionMember(connectionMember('u1', 'c 1'))).toEqual({ userId: 'u1', connectionId: 'c 1' });
    expect(parseConnectionMember('nospace')).toBeUndefined();
    expect(parseConnectionMember(' c1')).toBeUndefined();
    expect(parseConnectionMember('u1 ')).toBeUndefined();
  });
});
