import { DeliveryHeader, decodeDelivery, decodeRoomEvent, encodeDelivery, encodeRoomEvent } from './delivery';
import { eventFrame } from './server-frames';

describe('delivery', () => {
  const frame = eventFrame('message.created', { id: 'r1:1', text: 'line one\nline two\n\n{"not":"a header"}' });

  it('round-trips header and frame', () => {
    const header: DeliveryHeader = { c: 'c123', sub: [{ roomId: 'r1', after: 4 }], unsub: ['r2'], sync: ['r1', 'r3'] };
    const decoded = decodeDelivery(encodeDelivery(header, frame));
    expect(decoded.header).toEqual(header);
    expect(decoded.frame).toBe(frame);
  });

  it('is the header JSON, a newline, then the frame byte for byte', () => {
    const payload = encodeDelivery({ c: 'c1' }, frame);
    expect(payload).toBe(`{"c":"c1"}\n${frame}`);
    // The frame is forwarded without parsing: its own newlines survive.
    expect(decodeDelivery(payload).frame).toBe(frame);
  });

  it('carries a header with no frame (controls only)', () => {
    const payload = encodeDelivery({ unsub: ['r9'] });
    expect(decodeDelivery(payload)).toEqual({ header: { unsub: ['r9'] }, frame: '' });
  });

  it('an empty header targets every connection of a user', () => {
    const decoded = decodeDelivery(encodeDelivery({}, frame));
    expect(decoded.header).toEqual({});
    expect(decoded.header.c).toBeUndefined();
    expect(decoded.frame).toBe(frame);
  });

  it('accepts a bare header without newline', () => {
    expect(decodeDelivery('{"c":"c7"}')).toEqual({ header: { c: 'c7' }, frame: '' });
  });

  it('throws on a header that is not JSON (callers catch and drop)', () => {
    expect(() => decodeDelivery('garbage\n{}')).toThrow();
  });
});

describe('room events', () => {
  const frame = '{"type":"message.created","data":{"text":"a b\\nc"}}';

  it('carry the seq and the commit time in the header, the frame untouched', () => {
    expect(decodeRoomEvent(encodeRoomEvent(frame, 42, 1_700_000_000_123))).toEqual({ seq: 42, committedAt: 1_700_000_000_123, frame });
  });

  it('may have neither, or only one of them', () => {
    expect(decodeRoomEvent(encodeRoomEvent(frame))).toEqual({ seq: undefined, frame });
    expect(decodeRoomEvent(encodeRoomEvent(frame, 7))).toEqual({ seq: 7, frame });
    expect(decodeRoomEvent(encodeRoomEvent(frame, undefined, 5))).toEqual({ seq: undefined, committedAt: 5, frame });
  });
});
