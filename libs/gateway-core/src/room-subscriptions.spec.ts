import { settle } from '../../../test/support/deferred';
import { FakeSocket, PendingSubscriber } from '../../../test/support/fakes';
import { NO_ROOMS } from './client-socket';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomSubscriptions } from './room-subscriptions';

/** A ready socket of user `u-{id}`. */
const socketOf = (id: string) => new FakeSocket(id, { user: { id: `u-${id}`, username: id } });

/** The gateway's subscriber connection: SSUBSCRIBEs stay pending until the test settles them. */
class FakeChannels extends PendingSubscriber {
  readonly ssubscribe = this.subscribe;
  readonly sunsubscribe = this.unsubscribe;
}

describe('RoomSubscriptions', () => {
  let redis: FakeChannels;
  let channels: RefCountedSubscriptions;
  let rooms: RoomSubscriptions;

  beforeEach(() => {
    redis = new FakeChannels();
    channels = new RefCountedSubscriptions(redis.ssubscribe, redis.sunsubscribe);
    rooms = new RoomSubscriptions(channels);
  });

  /** Joins and confirms the channel at once. */
  async function joined(socket: FakeSocket, roomId: string): Promise<boolean> {
    const p = rooms.join(socket, roomId);
    if (redis.pending.length > 0) redis.confirm();
    return p;
  }

  describe('join', () => {
    it('subscribes the socket only after the channel is confirmed', async () => {
      const s = socketOf('c1');
      const join = rooms.join(s, 'r1');
      expect(redis.ssubscribe).toHaveBeenCalledWith('r1');
      expect(s.data.rooms).toEqual(['r1']); // claimed before the await
      await settle();
      expect(s.subscribed).toEqual([]);

      redis.confirm();
      await expect(join).resolves.toBe(true);
      expect(s.subscribed).toEqual(['r1']);
      expect(rooms.channelCount).toBe(1);
    });

    it('a second join of the same room is a no-op', async () => {
      const s = socketOf('c1');
      expect(await joined(s, 'r1')).toBe(true);
      expect(await rooms.join(s, 'r1')).toBe(false);
      expect(s.subscribed).toEqual(['r1']);
      expect(s.data.rooms).toEqual(['r1']);
      // Still one reference: one leave drops the channel.
      rooms.leave(s, 'r1');
      expect(redis.sunsubscribe).toHaveBeenCalledTimes(1);
    });

    it('two sockets of one room share one channel subscription', async () => {
      const a = socketOf('c1');
      const b = socketOf('c2');
      const ja = rooms.join(a, 'r1');
      const jb = rooms.join(b, 'r1');
      expect(redis.ssubscribe).toHaveBeenCalledTimes(1);
      redis.confirm();
      expect(await Promise.all([ja, jb])).toEqual([true, true]);
      expect(a.subscribed).toEqual(['r1']);
      expect(b.subscribed).toEqual(['r1']);
      expect(rooms.channelCount).toBe(1);
    });

    it('does nothing for a socket that is already closed', async () => {
      const s = socketOf('c1');
      s.data.closed = true;
      expect(await rooms.join(s, 'r1')).toBe(false);
      expect(redis.ssubscribe).not.toHaveBeenCalled();
      expect(s.data.rooms).toEqual([]);
      expect(rooms.channelCount).toBe(0);
    });

    it('a socket closed during the await is not subscribed and its reference is released exactly once', async () => {
      const closing = socketOf('c1');
      const staying = socketOf('c2');
      const jc = rooms.join(closing, 'r1');
      const js = rooms.join(staying, 'r1');

      // The socket closes while SSUBSCRIBE is in flight: the gateway's onClose releases its rooms.
      closing.data.closed = true;
      rooms.releaseAll(closing);
      expect(channels.has('r1')).toBe(true); // `staying` still holds it

      redis.confirm();
      expect(await jc).toBe(false);
      expect(await js).toBe(true);
      expect(closing.subscribed).toEqual([]);
      expect(staying.subscribed).toEqual(['r1']);

      // Exactly one reference is left: the staying socket's. Its leave drops the channel.
      expect(redis.sunsubscribe).not.toHaveBeenCalled();
      rooms.leave(staying, 'r1');
      expect(redis.sunsubscribe).toHaveBeenCalledTimes(1);
      expect(rooms.channelCount).toBe(0);
    });

    it('a lone socket closed during the await leaves no channel behind', async () => {
      const s = socketOf('c1');
      const join = rooms.join(s, 'r1');
      s.data.closed = true;
      rooms.releaseAll(s);
      redis.confirm();
      expect(await join).toBe(false);
      expect(s.subscribed).toEqual([]);
      expect(redis.sunsubscribe).toHaveBeenCalledTimes(1);
      expect(rooms.channelCount).toBe(0);
    });

    it('a socket that left during the await is not subscribed', async () => {
      const s = socketOf('c1');
      const join = rooms.join(s, 'r1');
      rooms.leave(s, 'r1');
      redis.confirm();
      expect(await join).toBe(false);
      expect(s.subscribed).toEqual([]);
      expect(s.data.rooms).toEqual([]);
      expect(rooms.channelCount).toBe(0);
    });

    it('a failed channel subscription rejects, unclaims the room, and a later join retries', async () => {
      const s = socketOf('c1');
      const join = rooms.join(s, 'r1');
      redis.fail(0, new Error('CLUSTERDOWN'));
      await expect(join).rejects.toThrow('CLUSTERDOWN');
      expect(s.data.rooms).toEqual([]);
      expect(s.subscribed).toEqual([]);
      expect(rooms.channelCount).toBe(0);

      expect(await joined(s, 'r1')).toBe(true);
      expect(redis.ssubscribe).toHaveBeenCalledTimes(2);
      expect(s.subscribed).toEqual(['r1']);
    });

    // BUG (room-subscriptions.ts join(), catch block): when the channel subscription fails,
    // join() releases its reference unconditionally, even though the socket's close
    // (releaseAll) or leave() already released it. The second release then drops a reference
    // that belongs to another socket that joined the room in between, so the gateway
    // SUNSUBSCRIBEs a room a connected socket is still subscribed to: that socket silently
    // stops receiving the room's events.
    it('a failed subscription of a socket closed meanwhile does not release another socket’s reference', async () => {
      const closing = socketOf('c1');
      const other = socketOf('c2');
      const first = rooms.join(closing, 'r1'); // SSUBSCRIBE #0 in flight
      closing.data.closed = true;
      rooms.releaseAll(closing); // the close releases the claim: count 0, SUNSUBSCRIBE
      expect(redis.sunsubscribe).toHaveBeenCalledTimes(1);

      const second = rooms.join(other, 'r1'); // a fresh SSUBSCRIBE #1
      redis.fail(0, new Error('subscribe #0 failed'));
      await expect(first).rejects.toThrow('subscribe #0 failed');
      redis.confirm(1);
      expect(await second).toBe(true);
      expect(other.subscribed).toEqual(['r1']);

      // `other` is subscribed to r1, so the gateway must still hold the channel.
      expect(channels.has('r1')).toBe(true);
      expect(redis.sunsubscribe).toHaveBeenCalledTimes(1);
    });
  });

  describe('leave', () => {
    it('releases the channel at once and unsubscribes the socket on the next turn', async () => {
      const s = socketOf('c1');
      await joined(s, 'r1');
      await joined(s, 'r2');
      rooms.leave(s, 'r1');
      // uWS drains topic publishes at the end of the loop turn: the topic goes after that.
      expect(s.unsubscribed).toEqual([]);
      await settle();
      expect(s.unsubscribed).toEqual(['r1']);
      expect(s.data.rooms).toEqual(['r2']);
      expect(redis.sunsubscribe.mock.calls).toEqual([['r1']]);
      expect(rooms.channelCount).toBe(1);
    });

    it('keeps the topic of a socket that rejoined in the same turn', async () => {
      const s = socketOf('c1');
      await joined(s, 'r1');
      rooms.leave(s, 'r1');
      await joined(s, 'r1');
      await settle();
      expect(s.unsubscribed).toEqual([]);
      expect(s.data.rooms).toEqual(['r1']);
    });

    it('keeps the channel while another socket is in the room', async () => {
      const a = socketOf('c1');
      const b = socketOf('c2');
      await joined(a, 'r1');
      await rooms.join(b, 'r1');
      rooms.leave(a, 'r1');
      expect(redis.sunsubscribe).not.toHaveBeenCalled();
      expect(channels.has('r1')).toBe(true);
      expect(b.topics.has('r1')).toBe(true);
    });

    it('is a no-op for a room the socket is not in (no foreign reference dropped)', async () => {
      const a = socketOf('c1');
      const b = socketOf('c2');
      await joined(a, 'r1');
      rooms.leave(b, 'r1');
      rooms.leave(a, 'r-other');
      expect(b.unsubscribed).toEqual([]);
      expect(a.unsubscribed).toEqual([]);
      expect(redis.sunsubscribe).not.toHaveBeenCalled();
      expect(channels.has('r1')).toBe(true);
    });

    it('on a closed socket releases the reference without touching the socket', async () => {
      const s = socketOf('c1');
      await joined(s, 'r1');
      s.data.closed = true;
      rooms.leave(s, 'r1');
      expect(s.unsubscribed).toEqual([]);
      expect(redis.sunsubscribe).toHaveBeenCalledWith('r1');
    });
  });

  describe('releaseAll', () => {
    it('releases every room of the socket once and forgets them', async () => {
      const a = socketOf('c1');
      const b = socketOf('c2');
      await joined(a, 'r1');
      await joined(a, 'r2');
      await joined(a, 'r3');
      await rooms.join(b, 'r2');

      rooms.releaseAll(a);
      expect(a.data.rooms).toEqual([]);
      expect(redis.sunsubscribe.mock.calls.map(([r]) => r).sort()).toEqual(['r1', 'r3']);
      expect(channels.has('r2')).toBe(true);
      expect(rooms.channelCount).toBe(1);

      rooms.releaseAll(a); // twice: nothing more
      expect(redis.sunsubscribe).toHaveBeenCalledTimes(2);
    });
  });

  describe('a socket in no room', () => {
    it('shares the frozen NO_ROOMS until its first join, and gets it back when it leaves its last room', async () => {
      const s = socketOf('c1');
      s.data.rooms = NO_ROOMS;
      await joined(s, 'r1');
      expect(s.data.rooms).toEqual(['r1']);
      expect(NO_ROOMS).toEqual([]);
      await joined(s, 'r2');
      rooms.leave(s, 'r1');
      expect(s.data.rooms).toEqual(['r2']);
      rooms.leave(s, 'r2');
      expect(s.data.rooms).toBe(NO_ROOMS);
      await joined(s, 'r3');
      rooms.releaseAll(s);
      expect(s.data.rooms).toBe(NO_ROOMS);
      expect(NO_ROOMS).toEqual([]);
    });
  });
});
