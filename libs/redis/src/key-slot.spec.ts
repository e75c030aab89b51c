import { Channels, Keys } from './keys';
import { keySlot } from './key-slot';

describe('keySlot', () => {
  it('matches Redis Cluster (CLUSTER KEYSLOT)', () => {
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('puts a shard’s stream, lease, events, dead letters and channels on one slot', () => {
    const slot = keySlot(Keys.shardLease(3));
    for (const name of [Keys.inStream(3), Keys.eventStream(3), Keys.deadLetters(Keys.inStream(3)), Channels.room('any-room', 3), Channels.shardToGateway(3, 'gw-1')]) {
      expect(keySlot(name)).toBe(slot);
    }
    expect(keySlot(Keys.shardLease(4))).not.toBe(slot);
  });
});
