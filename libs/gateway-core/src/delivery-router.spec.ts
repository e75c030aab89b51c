import { encodeDelivery, eventFrame, User } from '@chat/protocol';
import { settle } from '../../../test/support/deferred';
import { FakeSocket } from '../../../test/support/fakes';
import { ClientSocket } from './client-socket';
import { ConnectionRegistry } from './connection-registry';
import { DeliveryRouter } from './delivery-router';
import { Forwarder } from './forwarder';
import { GatewayMetrics } from './gateway.metrics';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomCatchups } from './room-catchups';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionOpener } from './session-opener';

/** Everything observable, in the order it happened. */
let log: string[];

/** Logs what the router does to the socket, in order with everything else. */
class LoggedSocket extends FakeSocket {
  constructor(id: string, user: User) {
    super(id, { user });
  }
  override send(message: string): number {
    log.push(`${this.data.id} send`);
    return super.send(message);
  }
  override subscribe(topic: string): boolean {
    log.push(`${this.data.id} subscribe ${topic}`);
    return super.subscribe(topic);
  }
  override unsubscribe(topic: string): boolean {
    log.push(`${this.data.id} unsubscribe ${topic}`);
    return super.unsubscribe(topic);
  }
}

const alice: User = { id: 'u-alice', username: 'alice' };
const bob: User = { id: 'u-bob', username: 'bob' };

describe('DeliveryRouter', () => {
  let registry: ConnectionRegistry;
  let ssubscribe: jest.Mock<Promise<unknown>, [string]>;
  let sunsubscribe: jest.Mock<Promise<unknown>, [string]>;
  let channels: RefCountedSubscriptions;
  let sessions: { enter: jest.Mock<Promise<void>, [ClientSocket, string[]]> };
  let forwardInternal: jest.Mock<Promise<unknown>, [string, unknown, string, User, string]>;
  let onError: jest.Mock<void, [unknown]>;
  let catchups: RoomCatchups;
  let router: DeliveryRouter;
  let a1: FakeSocket;
  let a2: FakeSocket;
  let b1: FakeSocket;

  beforeEach(() => {
    log = [];
    registry = new ConnectionRegistry();
    ssubscribe = jest.fn<Promise<unknown>, [string]>(async (room: string) => {
      log.push(`SSUBSCRIBE ${room}`);
      return 1;
    });
    sunsubscribe = jest.fn<Promise<unknown>, [string]>(async (room: string) => {
      log.push(`SUNSUBSCRIBE ${room}`);
      return 1;
    });
    channels = new RefCountedSubscriptions(ssubscribe, sunsubscribe);
    sessions = { enter: jest.fn<Promise<void>, [ClientSocket, string[]]>(async () => undefined) };
    forwardInternal = jest.fn<Promise<unknown>, [string, unknown, string, User, string]>(async (type: string, data: unknown) => {
      log.push(`forward ${type} ${JSON.stringify(data)}`);
      return '1-0';
    });
    onError = jest.fn<void, [unknown]>();
    const rooms = new RoomSubscriptions(channels);
    catchups = new RoomCatchups((socket, roomId) => rooms.goLive(socket, roomId));
    router = new DeliveryRouter(
      registry,
      rooms,
      catchups,
      sessions as unknown as SessionOpener,
      { forwardInternal } as unknown as Forwarder,
      GatewayMetrics.get(),
      onError,
    );
    a1 = new LoggedSocket('c-a1', alice);
    a2 = new LoggedSocket('c-a2', alice);
    b1 = new LoggedSocket('c-b1', bob);
    registry.add(a1, alice.id);
    registry.add(a2, alice.id);
    registry.add(b1, bob.id);
  });

  describe('to one connection (gw:{id})', () => {
    it('sends the frame byte for byte to the target connection only', () => {
      const frame = eventFrame('message.created', { text: 'line one\nline two ü 🎉', id: 'r1:1' });
      router.toConnection(encodeDelivery({ c: 'c-a2' }, frame));
      expect(a2.sent).toEqual([frame]);
      expect(a1.sent).toEqual([]);
      expect(b1.sent).toEqual([]);
    });

    it('drops a delivery to an unknown connection', () => {
      expect(() => router.toConnection(encodeDelivery({ c: 'c-gone', sub: [{ roomId: 'r1', after: 0 }], sync: ['r1'] }, '{"type":"x"}'))).not.toThrow();
      expect(a1.sent).toEqual([]);
      expect(a2.sent).toEqual([]);
      expect(b1.sent).toEqual([]);
      expect(ssubscribe).not.toHaveBeenCalled();
      expect(sessions.enter).not.toHaveBeenCalled();
    });

    it('drops a delivery without a connection id', () => {
      router.toConnection(encodeDelivery({}, '{"type":"x"}'));
      expect([...a1.sent, ...a2.sent, ...b1.sent]).toEqual([]);
    });

    it('sends nothing to a socket that is closed', () => {
      a1.data.closed = true;
      router.toConnection(encodeDelivery({ c: 'c-a1', sync: ['r1'] }, '{"type":"x"}'));
      expect(a1.sent).toEqual([]);
      expect(sessions.enter).not.toHaveBeenCalled();
    });

    it('`sub` holds the room channel, asks for a catch-up after the given seq, and goes live at `caughtUp`', async () => {
      const reply = '{"type":"reply","ref":"j1","ok":true,"data":{}}';
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 41 }] }, reply));
      await settle();
      expect(a1.sent).toEqual([reply]);
      // Not on the uWS topic yet: live events are held until the replay is done.
      expect(log).toEqual(['c-a1 send', 'SSUBSCRIBE r1', 'forward $catchup {"roomId":"r1","after":41}']);
      expect(forwardInternal).toHaveBeenCalledWith('$catchup', { roomId: 'r1', after: 41 }, 'r1', alice, 'c-a1');
      expect(a1.data.rooms).toEqual(['r1']);
      expect(catchups.isCatchingUp(a1, 'r1')).toBe(true);

      // Live meanwhile: seq 42 and 43 (42 will also be replayed), and an event without seq.
      catchups.hold('r1', 42, 'live-42');
      catchups.hold('r1', undefined, 'typing');
      catchups.hold('r1', 43, 'live-43');
      router.toConnection(encodeDelivery({ c: 'c-a1' }, 'replay-42'));
      router.toConnection(encodeDelivery({ c: 'c-a1', caughtUp: { roomId: 'r1', upTo: 42 } }));
      expect(a1.sent).toEqual([reply, 'replay-42', 'typing', 'live-43']);
      expect(log.slice(-1)).toEqual(['c-a1 subscribe r1']);
      expect(catchups.isCatchingUp(a1, 'r1')).toBe(false);
      expect(onError).not.toHaveBeenCalled();
    });

    it('`caughtUp` for a socket that is not catching up changes nothing', async () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', caughtUp: { roomId: 'r5', upTo: 3 } }));
      expect(log).toEqual([]);
    });

    it('`unsub` during a catch-up drops what was held', async () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 0 }] }));
      await settle();
      catchups.hold('r1', 1, 'live-1');
      router.toConnection(encodeDelivery({ c: 'c-a1', unsub: ['r1'] }));
      router.toConnection(encodeDelivery({ c: 'c-a1', caughtUp: { roomId: 'r1', upTo: 0 } }));
      await settle();
      expect(a1.sent).toEqual([]);
      expect(catchups.size).toBe(0);
    });

    it('`sub` of a room the socket already hears asks for no catch-up', async () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 0 }] }));
      await settle();
      forwardInternal.mockClear();
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 5 }] }));
      await settle();
      expect(forwardInternal).not.toHaveBeenCalled();
      expect(ssubscribe).toHaveBeenCalledTimes(1);
    });

    it('`sub` of several rooms catches each up with its own seq', async () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 3 }, { roomId: 'r2', after: 0 }] }));
      await settle();
      expect(forwardInternal.mock.calls.map(([type, data, key]) => [type, data, key])).toEqual([
        ['$catchup', { roomId: 'r1', after: 3 }, 'r1'],
        ['$catchup', { roomId: 'r2', after: 0 }, 'r2'],
      ]);
    });

    it('a failed room subscription is reported and asks for no catch-up', async () => {
      const err = new Error('CLUSTERDOWN');
      ssubscribe.mockRejectedValueOnce(err);
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 0 }] }));
      await settle();
      expect(onError).toHaveBeenCalledWith(err);
      expect(forwardInternal).not.toHaveBeenCalled();
    });

    it('a failed catch-up request is reported', async () => {
      const err = new Error('connection is closed');
      forwardInternal.mockRejectedValueOnce(err);
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 0 }] }));
      await settle();
      expect(onError).toHaveBeenCalledWith(err);
    });

    it('`unsub` leaves the room: the channel at once, the socket topic on the next turn (after uWS drained the frame)', async () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', sub: [{ roomId: 'r1', after: 0 }] }));
      await settle();
      log = [];
      router.toConnection(encodeDelivery({ c: 'c-a1', unsub: ['r1'] }, '{"type":"reply","ref":"l1","ok":true,"data":{}}'));
      expect(log).toEqual(['SUNSUBSCRIBE r1', 'c-a1 send']);
      await settle();
      expect(log).toEqual(['SUNSUBSCRIBE r1', 'c-a1 send', 'c-a1 unsubscribe r1']);
      expect(a1.data.rooms).toEqual([]);
    });

    it('`sync` finishes the session bootstrap with the given rooms', () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', sync: ['r1', 'r2'] }));
      expect(sessions.enter).toHaveBeenCalledTimes(1);
      expect(sessions.enter).toHaveBeenCalledWith(a1, ['r1', 'r2']);
      expect(a1.sent).toEqual([]);
    });

    it('`sync` with no rooms still enters (hello with zero rooms)', () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', sync: [] }));
      expect(sessions.enter).toHaveBeenCalledWith(a1, []);
    });

    it('a failed session entry is reported', async () => {
      const err = new Error('boom');
      sessions.enter.mockRejectedValueOnce(err);
      router.toConnection(encodeDelivery({ c: 'c-a1', sync: ['r1'] }));
      await settle();
      expect(onError).toHaveBeenCalledWith(err);
    });

    it('a payload that is not a delivery throws to the caller (which logs and drops it)', () => {
      expect(() => router.toConnection('garbage')).toThrow();
    });
  });

  describe('to a user (user:{id})', () => {
    it('reaches every socket of the user and nobody else', () => {
      const frame = eventFrame('room.invited', { roomId: 'r9' });
      router.toUser(alice.id, encodeDelivery({}, frame));
      expect(a1.sent).toEqual([frame]);
      expect(a2.sent).toEqual([frame]);
      expect(b1.sent).toEqual([]);
    });

    it('skips a closed socket of the user', () => {
      a2.data.closed = true;
      router.toUser(alice.id, encodeDelivery({}, '{"type":"x"}'));
      expect(a1.sent).toEqual(['{"type":"x"}']);
      expect(a2.sent).toEqual([]);
    });

    it('subscribes every socket of the user and catches each one up', async () => {
      router.toUser(alice.id, encodeDelivery({ sub: [{ roomId: 'r7', after: 2 }] }));
      await settle();
      expect(ssubscribe).toHaveBeenCalledTimes(1);
      expect(forwardInternal.mock.calls.map((c) => c[4])).toEqual(['c-a1', 'c-a2']);
      for (const c of ['c-a1', 'c-a2']) router.toConnection(encodeDelivery({ c, caughtUp: { roomId: 'r7', upTo: 2 } }));
      expect(log.filter((l) => l.includes('subscribe r7'))).toEqual(['c-a1 subscribe r7', 'c-a2 subscribe r7']);
    });

    it('does nothing for a user without sockets here (payload not even parsed)', () => {
      expect(() => router.toUser('u-nobody', 'not a delivery')).not.toThrow();
      expect([...a1.sent, ...a2.sent, ...b1.sent]).toEqual([]);
    });
  });

  describe('close control', () => {
    it('sends the frame, then closes every socket of the user with the code (and nothing else applies)', () => {
      const frame = eventFrame('error', { code: 'UNAUTHORIZED', message: 'signed out everywhere' });
      router.toUser(alice.id, encodeDelivery({ close: { code: 4001, reason: 'token revoked' }, sub: [{ roomId: 'r1', after: 0 }] }, frame));
      for (const s of [a1, a2]) {
        expect(s.sent).toEqual([frame]);
        expect(s.ended).toEqual([{ code: 4001, reason: 'token revoked' }]);
      }
      expect(b1.ended).toEqual([]);
      expect(ssubscribe).not.toHaveBeenCalled();
    });

    it('closes one connection without a frame (an unknown user answered by $session.sync)', () => {
      router.toConnection(encodeDelivery({ c: 'c-a1', close: { code: 4001, reason: 'unknown user' } }));
      expect(a1.sent).toEqual([]);
      expect(a1.ended).toEqual([{ code: 4001, reason: 'unknown user' }]);
      expect(sessions.enter).not.toHaveBeenCalled();
      expect(a2.ended).toEqual([]);
    });
  });
});
