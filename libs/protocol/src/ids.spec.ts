import { dmRoomId, messageId, newConnectionId, newRoomId, newUserId, randomId, roomOfMessageId } from './ids';

/** sha256("u1\0u2"), first 16 bytes mod 36, computed independently (Python hashlib). */
const KNOWN_DM_U1_U2 = 'dejxrh3nexsr5lqzo';

describe('ids', () => {
  it('randomId is prefix + length chars of [0-9a-z], and does not repeat', () => {
    expect(randomId('x')).toMatch(/^x[0-9a-z]{16}$/);
    expect(randomId('ab', 5)).toMatch(/^ab[0-9a-z]{5}$/);
    const many = new Set(Array.from({ length: 5000 }, () => randomId('r')));
    expect(many.size).toBe(5000);
  });

  it('new ids carry their kind', () => {
    expect(newUserId()).toMatch(/^u[0-9a-z]{16}$/);
    expect(newRoomId()).toMatch(/^r[0-9a-z]{16}$/);
    expect(newConnectionId()).toMatch(/^c[0-9a-z]{12}$/);
  });

  describe('dmRoomId', () => {
    const alice = newUserId();
    const bob = newUserId();
    const carol = newUserId();

    it('is symmetric: the same room from either side', () => {
      expect(dmRoomId(alice, bob)).toBe(dmRoomId(bob, alice));
      expect(dmRoomId(carol, alice)).toBe(dmRoomId(alice, carol));
    });

    it('is deterministic and looks like a room id', () => {
      expect(dmRoomId('u1', 'u2')).toBe(dmRoomId('u1', 'u2'));
      expect(dmRoomId(alice, bob)).toMatch(/^d[0-9a-z]{16}$/);
    });

    it('differs between pairs', () => {
      const ids = new Set([dmRoomId(alice, bob), dmRoomId(alice, carol), dmRoomId(bob, carol), dmRoomId(alice, alice)]);
      expect(ids.size).toBe(4);
      // The separator keeps ("ab","c") and ("a","bc") apart.
      expect(dmRoomId('ab', 'c')).not.toBe(dmRoomId('a', 'bc'));
    });

    it('is stable across versions (known value)', () => {
      // A change here moves every DM to a new room: never change the formula.
      expect(dmRoomId('u1', 'u2')).toBe(KNOWN_DM_U1_U2);
    });
  });

  describe('messageId / roomOfMessageId', () => {
    it('round-trips room and seq', () => {
      for (const roomId of [newRoomId(), dmRoomId('u1', 'u2'), 'r1', 'room:with:colons']) {
        for (const seq of [1, 2, 10, 999_999_999]) {
          const id = messageId(roomId, seq);
          expect(roomOfMessageId(id)).toBe(roomId);
          expect(Number(id.slice(id.lastIndexOf(':') + 1))).toBe(seq);
        }
      }
    });

    it('is room:seq', () => {
      expect(messageId('r1', 7)).toBe('r1:7');
    });

    it.each(['r1', '', ':5'])('has no room for %j', (id) => {
      expect(roomOfMessageId(id)).toBeUndefined();
    });
  });
});
