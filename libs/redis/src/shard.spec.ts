import { newRoomId } from '@chat/protocol';
import { fnv1a32, shardOf } from './shard';

describe('shard', () => {
  it('fnv1a32 matches the published FNV-1a test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('is stable: known shards (a change here moves rooms between shards)', () => {
    // Values computed independently (Python, FNV-1a over the UTF-8 bytes).
    expect(shardOf('a', 16)).toBe(12);
    expect(shardOf('r1', 16)).toBe(12);
    expect(shardOf('room-42', 16)).toBe(3);
    expect(shardOf('rabc123', 16)).toBe(5);
    expect(shardOf('room-42', 1024)).toBe(307);
    expect(shardOf('rabc123', 1024)).toBe(245);
  });

  it('returns an unsigned 32-bit integer', () => {
    for (const key of ['', 'x', 'zzzzzzzzzzzzzzzzzzzzzzzz', newRoomId()]) {
      const h = fnv1a32(key);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });

  it.each([1, 2, 7, 16, 1024])('stays in [0, %i)', (shards) => {
    for (let i = 0; i < 2000; i++) {
      const s = shardOf(newRoomId(), shards);
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(shards);
    }
  });

  it('is the same for the same key every time', () => {
    const id = newRoomId();
    expect(new Set(Array.from({ length: 10 }, () => shardOf(id, 16))).size).toBe(1);
  });

  // 10k keys over 16 shards: 625 expected per shard, standard deviation ≈ 24. ±20% is ≈ 5σ.
  it.each([
    ['random room ids', () => Array.from({ length: 10_000 }, () => newRoomId())],
    ['sequential keys', () => Array.from({ length: 10_000 }, (_, i) => `room-${i}`)],
  ])('spreads 10k %s evenly over 16 shards', (_name, keys) => {
    const counts = new Array<number>(16).fill(0);
    for (const key of keys()) counts[shardOf(key, 16)]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
    for (const count of counts) {
      expect(count).toBeGreaterThan(625 * 0.8);
      expect(count).toBeLessThan(625 * 1.2);
    }
  });
});
