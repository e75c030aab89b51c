import { User } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { deferred, settle } from '../../../test/support/deferred';
import { FakeSocket } from '../../../test/support/fakes';
import { ClientSocket } from './client-socket';
import { ConnectionRegistry } from './connection-registry';
import { Forwarder } from './forwarder';
import { RefCountedSubscriptions } from './ref-counted-subscriptions';
import { RoomSetCache } from './ports/room-set-cache';
import { RoomSubscriptions } from './room-subscriptions';
import { SessionExpiries } from './session-expiries';
import { SessionOpener } from './session-opener';

let log: string[];

/** Logs what the opener sends and subscribes, in order with the Redis calls. */
class LoggedSocket extends FakeSocket {
  constructor() {
    super('c-1', { ready: false, queued: [] });
  }
  override send(message: string): number {
    log.push(`send ${(JSON.parse(message) as { type: string }).type}`);
    return super.send(message);
  }
  override subscribe(topic: string): boolean {
    log.push(`subscribe ${topic}`);
    return super.subscribe(topic);
  }
}

const alice: User = { id: 'u-alice', username: 'alice' };
const HEARTBEAT_MS = 25_000;
const NOW_S = Math.floor(Date.now() / 1000);
/** Alice's token: issued now, valid for an hour. */
const ISSUED_MS = NOW_S * 1000 + 400;
const aliceSession = { user: alice, issuedAtMs: ISSUED_MS, expiresAt: NOW_S + 3600 };
const MAX_SOCKETS = 3;

describe('SessionOpener', () => {
  let registry: ConnectionRegistry;
  let roomChannels: RefCountedSubscriptions;
  let userChannels: RefCountedSubscriptions;
  let userSubscribe: jest.Mock<Promise<unknown>, [string]>;
  let roomSubscribe: jest.Mock<Promise<unknown>, [string]>;
  let smembers: jest.Mock<Promise<string[]>, [string]>;
  let forwardInternal: jest.Mock<Promise<unknown>, [string, unknown, string, User, string]>;
  let onReady: jest.Mock<void, [ClientSocket]>;
  let revokedBefore: number | undefined;
  let expiries: SessionExpiries;
  let opener: SessionOpener;
  let socket: LoggedSocket;

  beforeEach(() => {
    log = [];
    registry = new ConnectionRegistry();
    roomSubscribe = jest.fn<Promise<unknown>, [string]>(async (room: string) => {
      log.push(`SSUBSCRIBE ${room}`);
      return 1;
    });
    roomChannels = new RefCountedSubscriptions(roomSubscribe, async () => 1);
    userSubscribe = jest.fn<Promise<unknown>, [string]>(async (userId: string) => {
      log.push(`SUBSCRIBE ${userId}`);
      return 1;
    });
    userChannels = new RefCountedSubscriptions(userSubscribe, async () => 1);
    smembers = jest.fn<Promise<string[]>, [string]>(async () => []);
    forwardInternal = jest.fn<Promise<unknown>, [string, unknown, string, User, string]>(async () => '1-0');
    onReady = jest.fn<void, [ClientSocket]>((s: ClientSocket) => void log.push(`ready ${s.getUserData().id}`));
    revokedBefore = undefined;
    expiries = new SessionExpiries(NOW_S);
    // The Redis reading of the port: SMEMBERS (with the loaded marker) and the revocation time.
    const roomSets: RoomSetCache = {
      read: async (userId) => {
        const members = await smembers(Keys.userRooms(userId));
        const rooms = members.includes('*') ? members.filter((m) => m !== '*') : undefined;
        return { rooms, revokedBefore };
      },
    };
    opener = new SessionOpener(
      registry,
      new RoomSubscriptions(roomChannels),
      userChannels,
      roomSets,
      { forwardInternal } as unknown as Forwarder,
      expiries,
      { heartbeatMs: HEARTBEAT_MS, maxSocketsPerUser: MAX_SOCKETS },
      onReady,
    );
    socket = new LoggedSocket();
  });

  const helloOf = (s: FakeSocket) => s.sent.map((m) => JSON.parse(m) as { type: string; data: unknown }).filter((f) => f.type === 'hello');

  describe('open, room set loaded in Redis', () => {
    beforeEach(() => {
      smembers.mockResolvedValue(['r1', '*', 'r2']);
    });

    it('joins every room of the set, then says hello and calls onReady', async () => {
      await opener.open(socket, aliceSession);
      expect(smembers).toHaveBeenCalledWith(Keys.userRooms(alice.id));
      expect(socket.data.user).toEqual(alice);
      expect(socket.data.rooms.sort()).toEqual(['r1', 'r2']);
      expect(roomSubscribe.mock.calls.map(([r]) => r).sort()).toEqual(['r1', 'r2']);
      expect(helloOf(socket)).toEqual([
        { type: 'hello', data: { userId: 'u-alice', username: 'alice', connectionId: 'c-1', heartbeatMs: HEARTBEAT_MS } },
      ]);
      expect(socket.data.ready).toBe(true);
      expect(onReady).toHaveBeenCalledTimes(1);
      expect(onReady).toHaveBeenCalledWith(socket);
      expect(forwardInternal).not.toHaveBeenCalled();

      // Order: user channel, rooms (confirmed and joined), then hello, then queued frames.
      expect(log[0]).toBe('SUBSCRIBE u-alice');
      const hello = log.indexOf('send hello');
      expect(log.indexOf('subscribe r1')).toBeLessThan(hello);
      expect(log.indexOf('subscribe r2')).toBeLessThan(hello);
      expect(log.slice(hello)).toEqual(['send hello', 'ready c-1']);
    });

    it('registers the socket for its user and subscribes the user channel', async () => {
      await opener.open(socket, aliceSession);
      expect(registry.get('c-1')).toBe(socket);
      expect(registry.ofUser(alice.id)).toEqual([socket]);
      expect(userSubscribe).toHaveBeenCalledWith(alice.id);
      expect(userChannels.has(alice.id)).toBe(true);
    });

    it('never joins the loaded marker as a room', async () => {
      await opener.open(socket, aliceSession);
      expect(roomSubscribe).not.toHaveBeenCalledWith('*');
      expect(socket.data.rooms).not.toContain('*');
    });

    it('says hello only once the room subscriptions are confirmed', async () => {
      const confirm = deferred<unknown>();
      roomSubscribe.mockImplementationOnce(() => confirm.promise);
      const opened = opener.open(socket, aliceSession);
      await settle();
      expect(socket.sent).toEqual([]);
      expect(onReady).not.toHaveBeenCalled();
      confirm.resolve(1);
      await opened;
      expect(helloOf(socket)).toHaveLength(1);
      expect(onReady).toHaveBeenCalledTimes(1);
    });

    it('a user with no rooms (only the marker) is greeted at once', async () => {
      smembers.mockResolvedValue(['*']);
      await opener.open(socket, aliceSession);
      expect(roomSubscribe).not.toHaveBeenCalled();
      expect(helloOf(socket)).toHaveLength(1);
    });
  });

  describe('open, room set not loaded', () => {
    it('asks the messages service for a session sync and sends no hello yet', async () => {
      smembers.mockResolvedValue(['r1']); // no '*': a partial set is not trusted
      await opener.open(socket, aliceSession);
      expect(forwardInternal).toHaveBeenCalledTimes(1);
      expect(forwardInternal).toHaveBeenCalledWith('$session.sync', undefined, alice.id, alice, 'c-1');
      expect(socket.sent).toEqual([]);
      expect(socket.data.ready).toBe(false);
      expect(onReady).not.toHaveBeenCalled();
      expect(roomSubscribe).not.toHaveBeenCalled();
    });

    it('the sync answer (enter) then joins the rooms and greets', async () => {
      await opener.open(socket, aliceSession);
      await opener.enter(socket, ['r5']);
      expect(socket.data.rooms).toEqual(['r5']);
      expect(log).toContain('subscribe r5');
      expect(helloOf(socket)).toEqual([
        { type: 'hello', data: { userId: 'u-alice', username: 'alice', connectionId: 'c-1', heartbeatMs: HEARTBEAT_MS } },
      ]);
      expect(onReady).toHaveBeenCalledTimes(1);
    });

    it('rejects when the sync request cannot be appended', async () => {
      forwardInternal.mockRejectedValueOnce(new Error('connection is closed'));
      await expect(opener.open(socket, aliceSession)).rejects.toThrow('connection is closed');
      expect(socket.sent).toEqual([]);
    });
  });

  describe('closed sockets', () => {
    it('stops before reading the room set when the socket closed during the user SUBSCRIBE', async () => {
      const confirm = deferred<unknown>();
      userSubscribe.mockImplementationOnce(() => confirm.promise);
      const opened = opener.open(socket, aliceSession);
      socket.data.closed = true;
      confirm.resolve(1);
      await opened;
      expect(smembers).not.toHaveBeenCalled();
      expect(socket.sent).toEqual([]);
      // Its reference went back at once: nothing else will release it (onClose already ran).
      expect(userChannels.has(alice.id)).toBe(false);
      expect(socket.data.userChannel).toBeUndefined();
    });

    it('stops when the socket closed while the room set was read', async () => {
      const members = deferred<string[]>();
      smembers.mockImplementationOnce(() => members.promise);
      const opened = opener.open(socket, aliceSession);
      await settle();
      socket.data.closed = true;
      members.resolve(['*', 'r1']);
      await opened;
      expect(roomSubscribe).not.toHaveBeenCalled();
      expect(forwardInternal).not.toHaveBeenCalled();
      expect(socket.sent).toEqual([]);
      expect(onReady).not.toHaveBeenCalled();
    });

    it('`enter` after close sends nothing and subscribes nothing', async () => {
      await opener.open(socket, aliceSession); // not loaded: waits for sync
      socket.data.closed = true;
      await opener.enter(socket, ['r1', 'r2']);
      expect(socket.sent).toEqual([]);
      expect(log.filter((l) => l.startsWith('subscribe'))).toEqual([]);
      expect(onReady).not.toHaveBeenCalled();
      expect(socket.data.ready).toBe(false);
    });

    it('a socket closed during the room joins gets no hello', async () => {
      const confirm = deferred<unknown>();
      roomSubscribe.mockImplementationOnce(() => confirm.promise);
      await opener.open(socket, aliceSession);
      const entering = opener.enter(socket, ['r1']);
      socket.data.closed = true;
      confirm.resolve(1);
      await entering;
      expect(socket.sent).toEqual([]);
      expect(onReady).not.toHaveBeenCalled();
    });
  });

  it('a second `enter` (a repeated sync) greets only once', async () => {
    await opener.open(socket, aliceSession);
    await opener.enter(socket, ['r1']);
    await opener.enter(socket, ['r1', 'r2']);
    expect(helloOf(socket)).toHaveLength(1);
    expect(onReady).toHaveBeenCalledTimes(1);
    expect(socket.data.rooms.sort()).toEqual(['r1', 'r2']);
  });

  it('`enter` of a socket that never authenticated sends nothing', async () => {
    await opener.enter(socket, ['r1']);
    expect(socket.sent).toEqual([]);
    expect(onReady).not.toHaveBeenCalled();
  });

  describe('token lifetime, revocation and the socket cap', () => {
    beforeEach(() => {
      smembers.mockResolvedValue(['*', 'r1']);
    });

    it('files the socket under its token expiry, and forgets it on close', async () => {
      await opener.open(socket, aliceSession);
      expect(socket.data.expiresAt).toBe(aliceSession.expiresAt);
      expect(expiries.due(aliceSession.expiresAt - 1)).toEqual([]);
      opener.forget(socket);
      expect(expiries.due(aliceSession.expiresAt)).toEqual([]);
    });

    it('a refresh moves the expiry', async () => {
      await opener.open(socket, aliceSession);
      opener.refresh(socket, aliceSession.expiresAt + 600);
      expect(expiries.due(aliceSession.expiresAt)).toEqual([]);
      expect(expiries.due(aliceSession.expiresAt + 600)).toEqual([socket]);
    });

    it('closes 4001 a token issued before the user revocation, even in the same second, with no hello', async () => {
      revokedBefore = ISSUED_MS + 1;
      await opener.open(socket, aliceSession);
      expect(socket.ended).toEqual([{ code: 4001, reason: 'token revoked' }]);
      expect(helloOf(socket)).toEqual([]);
      expect(roomSubscribe).not.toHaveBeenCalled();
    });

    it('lets in a token issued after the revocation, even in the same second', async () => {
      revokedBefore = ISSUED_MS - 1;
      await opener.open(socket, aliceSession);
      expect(socket.ended).toEqual([]);
      expect(helloOf(socket)).toHaveLength(1);
    });

    it('closes 4008 one socket more than the per-user cap, and keeps the others', async () => {
      const sockets = Array.from({ length: MAX_SOCKETS }, (_, i) => new FakeSocket(`c-${i + 10}`, { ready: false, queued: [] }));
      for (const s of sockets) await opener.open(s, aliceSession);
      await opener.open(socket, aliceSession);
      expect(socket.ended).toEqual([{ code: 4008, reason: expect.stringContaining('too many connections') }]);
      expect(registry.countOf(alice.id)).toBe(MAX_SOCKETS);
      expect(sockets.every((s) => s.ended.length === 0 && s.data.ready)).toBe(true);
    });
  });
});
