import Redis from 'ioredis';
import { Config, parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { createLogger } from '@chat/observability';
import { PresenceService } from '@chat/presence';
import { decodeDelivery, decodeRoomEvent, envelopeFields, InternalOp } from '@chat/protocol';
import { Channels, createRedis, Groups, Keys, shardOf, USER_ROOMS_LOADED } from '@chat/redis';
import { waitFor } from '../support/wait-for';

/**
 * The presence service against a private redis-server, driven exactly as gateways drive it
 * (envelopes XADDed to `presence:in`) and observed as gateways observe it (room, gateway and
 * user channels). Timings are shortened: offline grace 300 ms, typing TTL 300 ms, a gateway
 * dead after 600 ms without heartbeat, lease TTL 1 s.
 *
 * "Nothing was published" is checked against a sentinel: an event that the service emits
 * strictly after the moment the unwanted event would have been emitted (a later deadline of
 * another user, or a reply in the same flush), so no test sleeps.
 */

const GRACE_MS = 300;
const TYPING_TTL_MS = 300;
const logger = createLogger('presence-test', 'silent');

interface Received {
  channel: string;
  /** Target connection, on gateway channels. */
  c?: string;
  frame: { type: string; ref?: string; ok?: boolean; data?: any; error?: { code: string; message: string } };
  at: number;
}
type Match = (m: Received) => boolean;

/** Every message of a subscriber connection; `take` hands each one to at most one waiter. */
class Inbox {
  readonly all: Received[] = [];
  private readonly unclaimed: Received[] = [];
  private readonly waiters = new Set<{ match: Match; resolve: (m: Received) => void }>();

  constructor(readonly sub: Redis) {
    // gw:/user: channels carry a delivery (header line + frame); room channels carry the frame.
    sub.on('message', (channel: string, payload: string) => {
      const { header, frame } = decodeDelivery(payload);
      this.deliver({ channel, c: header.c, frame: JSON.parse(frame), at: Date.now() });
    });
    sub.on('smessage', (channel: string, payload: string) =>
      this.deliver({ channel, frame: JSON.parse(decodeRoomEvent(payload).frame), at: Date.now() }),
    );
  }

  private deliver(m: Received): void {
    this.all.push(m);
    for (const w of this.waiters) {
      if (w.match(m)) {
        this.waiters.delete(w);
        return w.resolve(m);
      }
    }
    this.unclaimed.push(m);
  }

  /** The first not yet taken message that matches, waiting for it if needed. */
  take(match: Match, what: string, timeoutMs = 5000): Promise<Received> {
    const i = this.unclaimed.findIndex(match);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (m: Received) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.add(waiter);
    });
  }

  seen(match: Match): Received[] {
    return this.all.filter(match);
  }
}

/** Presence's config keeps the default shard count. */
const roomChannel = (roomId: string) => Channels.room(roomId, shardOf(roomId, parseConfig({}).shards));
const onRoom = (roomId: string): Match => (m) => m.channel === roomChannel(roomId);
const onUser = (userId: string): Match => (m) => m.channel === Channels.user(userId);
const presenceOf =
  (userId: string, status?: string): Match =>
  (m) =>
    m.frame.type === 'presence.updated' && m.frame.data.userId === userId && (status === undefined || m.frame.data.status === status);
const typingIn =
  (roomId: string, userIds?: string[]): Match =>
  (m) =>
    m.channel === roomChannel(roomId) &&
    m.frame.type === 'typing.updated' &&
    (userIds === undefined || JSON.stringify(m.frame.data.userIds) === JSON.stringify(userIds));
const replyTo =
  (ref: string): Match =>
  (m) =>
    m.frame.type === 'reply' && m.frame.ref === ref;
const both =
  (a: Match, b: Match): Match =>
  (m) =>
    a(m) && b(m);

describe('PresenceService', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  let config: Config;
  let next = 0;
  /** Ids unique in the file: tests share one Redis and one running service. */
  const id = (prefix: string) => `${prefix}${++next}`;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = createRedis(server.url, 'presence-test-admin');
    config = parseConfig({
      REDIS_URL: server.url,
      OFFLINE_GRACE_MS: String(GRACE_MS),
      TYPING_TTL_MS: String(TYPING_TTL_MS),
      GATEWAY_DEAD_AFTER_MS: '600',
      LEASE_TTL_MS: '1000',
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  /** Heartbeat timers of the simulated gateways, stopped after each test. */
  const beating: NodeJS.Timeout[] = [];
  afterEach(() => beating.splice(0).forEach(clearInterval));

  /**
   * What a gateway `g` puts on `presence:in` for its connection `c` of user `u`. A live one
   * heartbeats every 100 ms (the service judges it dead after 600 ms of silence), as a real
   * gateway does every few seconds; `beating: false` leaves heartbeats to the test.
   */
  function gateway(g: string, { beating: beats = true } = {}) {
    const raw = (u: string, c: string, f: string) =>
      admin.xadd(Keys.presenceIn(), '*', ...envelopeFields({ f, u, n: `name-${u}`, g, c, t: Date.now() }));
    const add = (u: string, c: string, frame: object) => raw(u, c, JSON.stringify(frame));
    // The envelope names no user or connection for a heartbeat; these fields are ignored.
    const heartbeat = () => add('-', '-', { type: InternalOp.GATEWAY_HEARTBEAT });
    if (beats) beating.push(setInterval(() => void heartbeat(), 100));
    return {
      id: g,
      connect: (u: string, c: string) => add(u, c, { type: InternalOp.PRESENCE_CONNECT }),
      disconnect: (u: string, c: string) => add(u, c, { type: InternalOp.PRESENCE_DISCONNECT }),
      heartbeat,
      send: (u: string, c: string, frame: object) => add(u, c, frame),
      raw,
    };
  }

  /** A user whose room set the messages service loaded (marker included), as before hello. */
  async function user(rooms: string[]): Promise<string> {
    const u = id('u');
    await admin.sadd(Keys.userRooms(u), USER_ROOMS_LOADED, ...rooms);
    return u;
  }

  async function subscriber(rooms: string[], channels: string[]): Promise<Inbox> {
    const sub = createRedis(server.url, `presence-test-sub-${next}`);
    const inbox = new Inbox(sub);
    for (const r of rooms) await sub.ssubscribe(roomChannel(r));
    if (channels.length > 0) await sub.subscribe(...channels);
    return inbox;
  }

  describe('one instance', () => {
    let service: PresenceService;
    let inbox: Inbox;
    const subs: Redis[] = [];

    beforeAll(async () => {
      service = new PresenceService(config, logger);
      await service.start();
      expect(service.active).toBe(true);
    });

    afterAll(async () => {
      await service?.stop();
      for (const s of subs) s.disconnect();
    });

    async function observe(rooms: string[], channels: string[] = []): Promise<Inbox> {
      // The marker room is subscribed too: nothing may ever be published to it.
      inbox = await subscriber([...rooms, USER_ROOMS_LOADED], channels);
      subs.push(inbox.sub);
      return inbox;
    }

    /**
     * Connects and disconnects a new user of `room` through `g`, then waits for it to go
     * offline: any deadline due no later than its own has been swept by then.
     */
    async function sentinelOffline(g: ReturnType<typeof gateway>, room: string): Promise<void> {
      const s = await user([room]);
      const sc = id('c');
      await g.connect(s, sc);
      await g.disconnect(s, sc);
      await inbox.take(presenceOf(s, 'offline'), 'the sentinel to go offline');
    }

    it('publishes online to every room of the user and to the user, once, on connect', async () => {
      const [r1, r2] = [id('r'), id('r')];
      const u = await user([r1, r2]);
      await observe([r1, r2], [Channels.user(u)]);
      const g = gateway(id('g'));
      const before = Date.now();
      await g.connect(u, id('c'));

      for (const match of [onRoom(r1), onRoom(r2), onUser(u)]) {
        const m = await inbox.take(both(match, presenceOf(u)), `online of ${u}`);
        expect(m.frame).toEqual({ type: 'presence.updated', data: { userId: u, status: 'online', lastSeenAt: expect.any(String) } });
        const lastSeen = Date.parse(m.frame.data.lastSeenAt);
        expect(lastSeen).toBeGreaterThanOrEqual(before);
        expect(lastSeen).toBeLessThanOrEqual(m.at);
      }
      // One flush carried all three: nothing else is on its way.
      expect(inbox.seen(presenceOf(u))).toHaveLength(3);
      expect(await admin.get(Keys.presence(u))).toBe('online');
      expect(Object.values(await admin.hgetall(Keys.presenceConnections(u)))).toEqual([g.id]);
      expect(inbox.seen(onRoom(USER_ROOMS_LOADED))).toHaveLength(0);
    });

    it('keeps a user online while another device is connected, then goes offline a grace after the last one closes', async () => {
      const room = id('r');
      const u = await user([room]);
      await observe([room]);
      const g = gateway(id('g'));
      const [c1, c2] = [id('c'), id('c')];
      await g.connect(u, c1);
      await inbox.take(presenceOf(u, 'online'), 'online');
      await g.connect(u, c2);
      await g.disconnect(u, c1);

      await sentinelOffline(g, room);
      // u's deadline (if any) was due no later than the sentinel's, and swept in the same or an earlier step.
      expect(inbox.seen(presenceOf(u))).toHaveLength(1);
      expect(await admin.get(Keys.presence(u))).toBe('online');
      expect(await admin.hkeys(Keys.presenceConnections(u))).toEqual([c2]);

      const closedAt = Date.now();
      await g.disconnect(u, c2);
      const offline = await inbox.take(presenceOf(u, 'offline'), 'offline after the grace');
      expect(offline.at - closedAt).toBeGreaterThanOrEqual(GRACE_MS);
      const lastSeen = Date.parse(offline.frame.data.lastSeenAt);
      expect(lastSeen).toBeGreaterThanOrEqual(closedAt);
      expect(lastSeen).toBeLessThanOrEqual(offline.at - GRACE_MS);
      expect(await admin.exists(Keys.presence(u))).toBe(0);
      expect(await admin.zscore(Keys.offlineDeadlines(), u)).toBeNull();
    });

    it('does not go offline when the user reconnects within the grace', async () => {
      const room = id('r');
      const u = await user([room]);
      await observe([room]);
      const g = gateway(id('g'));
      const c1 = id('c');
      await g.connect(u, c1);
      await inbox.take(presenceOf(u, 'online'), 'online');
      await g.disconnect(u, c1);
      await g.connect(u, id('c'));

      await sentinelOffline(g, room);
      // Neither an offline nor a second online: the status never changed.
      expect(inbox.seen(presenceOf(u))).toHaveLength(1);
      expect(await admin.get(Keys.presence(u))).toBe('online');
      expect(await admin.zscore(Keys.offlineDeadlines(), u)).toBeNull();
    });

    it('publishes presence.set, replies to its ref, and keeps the choice across a reconnect', async () => {
      const room = id('r');
      const u = await user([room]);
      const g = gateway(id('g'));
      await observe([room], [Channels.gateway(g.id), Channels.user(u)]);
      const c1 = id('c');
      await g.connect(u, c1);
      await inbox.take(both(onRoom(room), presenceOf(u, 'online')), 'online');

      await g.send(u, c1, { type: 'presence.set', ref: 'p1', data: { status: 'away' } });
      const reply = await inbox.take(replyTo('p1'), 'the reply to p1');
      expect(reply).toMatchObject({ channel: Channels.gateway(g.id), c: c1, frame: { type: 'reply', ref: 'p1', ok: true, data: {} } });
      await inbox.take(both(onRoom(room), presenceOf(u, 'away')), 'away in the room');
      await inbox.take(both(onUser(u), presenceOf(u, 'away')), 'away to the user');

      await g.send(u, c1, { type: 'presence.set', ref: 'p2', data: { status: 'dnd' } });
      await inbox.take(both(onRoom(room), presenceOf(u, 'dnd')), 'dnd');
      await inbox.take(replyTo('p2'), 'the reply to p2');
      // Setting the same status again is answered but publishes nothing (checked at reconnect below).
      await g.send(u, c1, { type: 'presence.set', ref: 'p3', data: { status: 'dnd' } });
      await inbox.take(replyTo('p3'), 'the reply to p3');

      await g.disconnect(u, c1);
      await inbox.take(both(onRoom(room), presenceOf(u, 'offline')), 'offline');
      await g.connect(u, id('c'));
      await inbox.take(both(onRoom(room), presenceOf(u, 'dnd')), 'dnd again after reconnecting');
      expect(await admin.get(Keys.presence(u))).toBe('dnd');
      expect(inbox.seen(both(onRoom(room), presenceOf(u))).map((m) => m.frame.data.status)).toEqual(['online', 'away', 'dnd', 'offline', 'dnd']);
    });

    it('publishes typing.start to the room, expires a typer after the ttl without stop, and removes one on stop', async () => {
      const room = id('r');
      const [a, b] = [await user([room]), await user([room])];
      const g = gateway(id('g'));
      await observe([room], [Channels.gateway(g.id)]);
      const [ca, cb] = [id('c'), id('c')];

      await g.send(a, ca, { type: 'typing.start', ref: 't1', data: { roomId: room } });
      expect((await inbox.take(typingIn(room), 'a typing')).frame).toEqual({ type: 'typing.updated', data: { roomId: room, userIds: [a] } });
      expect((await inbox.take(replyTo('t1'), 'the reply to t1')).frame.ok).toBe(true);

      const bStarted = Date.now();
      await g.send(b, cb, { type: 'typing.start', ref: 't2', data: { roomId: room } });
      await inbox.take(typingIn(room, [a, b]), 'a and b typing');
      await g.send(a, ca, { type: 'typing.stop', ref: 't3', data: { roomId: room } });
      await inbox.take(typingIn(room, [b]), 'only b typing after a stopped');
      await inbox.take(replyTo('t3'), 'the reply to t3');

      const expired = await inbox.take(typingIn(room, []), 'b to expire');
      expect(expired.at - bStarted).toBeGreaterThanOrEqual(TYPING_TTL_MS);
      expect(await admin.exists(Keys.typing(room))).toBe(0);
      expect(await admin.zscore(Keys.typingRooms(), room)).toBeNull();
      expect(inbox.seen(typingIn(room))).toHaveLength(4);
    });

    it('publishes nothing when a typer starts again or stops twice, and extends their expiry', async () => {
      const room = id('r');
      const a = await user([room]);
      const g = gateway(id('g'));
      await observe([room], [Channels.gateway(g.id)]);
      const c = id('c');

      await g.send(a, c, { type: 'typing.start', data: { roomId: room } });
      await inbox.take(typingIn(room, [a]), 'a typing');
      const first = Number(await admin.zscore(Keys.typing(room), a));
      await g.send(a, c, { type: 'typing.start', ref: 'again', data: { roomId: room } });
      await inbox.take(replyTo('again'), 'the reply to the second start');
      expect(Number(await admin.zscore(Keys.typing(room), a))).toBeGreaterThanOrEqual(first);
      await g.send(a, c, { type: 'typing.stop', data: { roomId: room } });
      await inbox.take(typingIn(room, []), 'a stopped');
      await g.send(a, c, { type: 'typing.stop', ref: 'twice', data: { roomId: room } });
      await inbox.take(replyTo('twice'), 'the reply to the second stop');
      expect(inbox.seen(typingIn(room))).toHaveLength(2);
    });

    it('answers typing.start in a room the user is not in with FORBIDDEN, and publishes nothing', async () => {
      const [mine, theirs] = [id('r'), id('r')];
      const u = await user([mine]);
      const g = gateway(id('g'));
      await observe([theirs], [Channels.gateway(g.id)]);
      const c = id('c');
      await g.send(u, c, { type: 'typing.start', ref: 'f1', data: { roomId: theirs } });
      const reply = await inbox.take(replyTo('f1'), 'the reply to f1');
      expect(reply).toMatchObject({ c, frame: { ok: false, error: { code: 'FORBIDDEN' } } });
      // The reply is published in the same flush as any typing event would have been.
      expect(inbox.seen(typingIn(theirs))).toHaveLength(0);
      expect(await admin.exists(Keys.typing(theirs))).toBe(0);
    });

    it('answers bad frames with BAD_REQUEST: a reply with a ref, an error event without', async () => {
      const room = id('r');
      const u = await user([room]);
      const g = gateway(id('g'));
      await observe([room], [Channels.gateway(g.id)]);
      const c = id('c');

      await g.send(u, c, { type: 'typing.start', ref: 'b1', data: {} });
      await g.send(u, c, { type: 'presence.set', ref: 'b2', data: { status: 'offline' } });
      await g.send(u, c, { type: 'message.send', ref: 'b3', data: { roomId: room, text: 'hi', clientMsgId: 'm1' } });
      await g.raw(u, c, 'not json');
      await g.send(u, c, { type: 'typing.stop', ref: 'ok', data: { roomId: room } });

      for (const ref of ['b1', 'b2', 'b3']) {
        const reply = await inbox.take(replyTo(ref), `the reply to ${ref}`);
        expect(reply).toMatchObject({ channel: Channels.gateway(g.id), c, frame: { ok: false, error: { code: 'BAD_REQUEST' } } });
      }
      const error = await inbox.take((m) => m.frame.type === 'error', 'the error event');
      expect(error).toMatchObject({ c, frame: { data: { code: 'BAD_REQUEST' } } });
      // A good frame after the bad ones is still served.
      expect((await inbox.take(replyTo('ok'), 'the reply to the good frame')).frame.ok).toBe(true);
      expect(await admin.exists(Keys.presenceChoice(u))).toBe(0);
    });

    it('takes the users of a gateway that stops heartbeating offline, but not one also connected through a live gateway', async () => {
      const room = id('r');
      const [gone, onBoth] = [await user([room]), await user([room])];
      await observe([room]);
      const dying = gateway(id('g'), { beating: false });
      const live = gateway(id('g'));
      await dying.connect(gone, id('c'));
      await dying.connect(onBoth, id('c'));
      await live.connect(onBoth, id('c'));
      await inbox.take(presenceOf(gone, 'online'), 'online of the user on the dying gateway');
      await inbox.take(presenceOf(onBoth, 'online'), 'online of the user on both gateways');

      const lastBeat = Date.now();
      await dying.heartbeat();
      const offline = await inbox.take(presenceOf(gone, 'offline'), "the dying gateway's user to go offline", 10_000);
      expect(offline.at - lastBeat).toBeGreaterThanOrEqual(600 + GRACE_MS);
      // lastSeen is the gateway's last sign of life, not the time of the sweep.
      const lastSeen = Date.parse(offline.frame.data.lastSeenAt);
      expect(lastSeen).toBeGreaterThanOrEqual(lastBeat);
      expect(lastSeen).toBeLessThan(offline.at - GRACE_MS);
      // Both users' deadlines were armed by the same sweep step, so both were judged by now.
      expect(inbox.seen(presenceOf(onBoth))).toHaveLength(1);
      expect(await admin.get(Keys.presence(onBoth))).toBe('online');
      expect(Object.values(await admin.hgetall(Keys.presenceConnections(onBoth)))).toEqual([live.id]);
      // Emptied and forgotten in the sweep that armed the deadlines, a grace before the event.
      expect(await admin.exists(Keys.gatewayConnections(dying.id))).toBe(0);
      expect(await admin.zscore(Keys.gatewayHeartbeats(), dying.id)).toBeNull();
      expect(await admin.zscore(Keys.gatewayHeartbeats(), live.id)).not.toBeNull();
    });
  });

  describe('takeover', () => {
    const services: PresenceService[] = [];
    const subs: Redis[] = [];

    beforeEach(async () => {
      await admin.flushall();
    });

    afterEach(async () => {
      await Promise.all(services.splice(0).map((s) => s.stop()));
      subs.splice(0).forEach((s) => s.disconnect());
    });

    async function observe(rooms: string[]): Promise<Inbox> {
      const inbox = await subscriber(rooms, []);
      subs.push(inbox.sub);
      return inbox;
    }

    it('processes what a dead holder left pending, and publishes the state even when it had already applied it', async () => {
      const room = id('r');
      const [applied, unapplied] = [await user([room]), await user([room])];
      const inbox = await observe([room]);
      const g = gateway(id('g'));
      // A holder read both connects, applied the first one's state, and died before publishing.
      await admin.xgroup('CREATE', Keys.presenceIn(), Groups.presence, '0', 'MKSTREAM');
      await g.connect(applied, id('c'));
      await g.connect(unapplied, id('c'));
      await admin.xreadgroup('GROUP', Groups.presence, 'dead-holder', 'COUNT', 10, 'STREAMS', Keys.presenceIn(), '>');
      await admin.set(Keys.presence(applied), 'online');

      const service = new PresenceService(config, logger);
      services.push(service);
      await service.start();
      await inbox.take(presenceOf(applied, 'online'), 'the already applied online, published by the new holder');
      await inbox.take(presenceOf(unapplied, 'online'), 'the unapplied online');
      await waitFor(async () => (await admin.xpending(Keys.presenceIn(), Groups.presence))[0] === 0, {
        what: 'the claimed entries to be acknowledged',
      });
    });

    it('lets only one of two instances hold the lease; the other takes over, with the sweeps, when the first stops', async () => {
      const a = new PresenceService(config, logger);
      const b = new PresenceService(config, logger);
      services.push(a, b);
      await a.start();
      await b.start();
      expect(a.active).toBe(true);
      expect(b.active).toBe(false);
      expect(await admin.get(Keys.presenceLease(0))).toMatch(new RegExp(`^${a.instanceId}/`));
      expect(await admin.zrange(Keys.presenceInstances(), '0', '-1')).toEqual(expect.arrayContaining([a.instanceId, b.instanceId]));

      const room = id('r');
      const inbox = await observe([room]);
      const g = gateway(id('g'));
      const [u1, u2] = [await user([room]), await user([room])];
      await g.connect(u1, id('c'));
      await inbox.take(presenceOf(u1, 'online'), 'online through the first instance');
      // Still only one holder once both have ticked again (every third of the 1 s TTL).
      const ticks = () => Promise.all([a, b].map((s) => admin.zscore(Keys.presenceInstances(), s.instanceId)));
      const before = await ticks();
      await waitFor(async () => (await ticks()).every((t, i) => t !== before[i]), { what: 'both instances to tick again' });
      expect([a.active, b.active]).toEqual([true, false]);

      await a.stop();
      expect(a.active).toBe(false);
      await waitFor(() => b.active, { what: 'the second instance to take the lease', timeoutMs: 5000 });
      expect(await admin.get(Keys.presenceLease(0))).toMatch(new RegExp(`^${b.instanceId}/`));

      const c2 = id('c');
      await g.connect(u2, c2);
      await inbox.take(presenceOf(u2, 'online'), 'online through the second instance');
      await g.disconnect(u2, c2);
      // The offline sweep now runs on the second instance.
      await inbox.take(presenceOf(u2, 'offline'), 'offline swept by the second instance');
      expect(inbox.seen(presenceOf(u1))).toHaveLength(1);
    });
  });
});
