import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PresenceStatus, RoomKind, User, mentionedNames, newRoomId } from '@chat/protocol';
import { PresenceReader } from '@chat/presence';
import { EndpointPolicy } from '@chat/outbound-http';
import {
  NotificationRecipients,
  PushJobData,
  PushNotifier,
  PushSubscriptions,
  pushMetrics,
  WebPushSender,
  generateVapidKeys,
} from '@chat/push';
import { createRedis, Queues } from '@chat/redis';
import { Database, MessageRepository, RoomRepository, UserRepository } from '@chat/store';
import { startRedisServer, RedisServerHandle } from '@chat/devstack';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { ENGINE_NAMES, newTestUser, TestDatabases } from '../support/engines';
import { TestSubscription } from '../support/push-endpoint';

/**
 * libs/push against real databases (both engines) and a real Redis: mentions as stored,
 * who is a recipient, one job per (message, user), and how the sender reads answers.
 */
const databases = new TestDatabases();

/** Presence as the presence service would have written it (a port; its Redis keys are tested elsewhere). */
class FixedPresence implements PresenceReader {
  readonly status = new Map<string, PresenceStatus>();
  async statuses(ids: string[]) {
    return new Map(ids.map((id) => [id, this.status.get(id) ?? 'offline'] as const));
  }
}

describe.each(ENGINE_NAMES)('push data on %s', (engine) => {
  let db: Database;
  let users: UserRepository;
  let rooms: RoomRepository;
  let messages: MessageRepository;
  let subscriptions: PushSubscriptions;
  const presence = new FixedPresence();
  let counter = 0;

  beforeAll(async () => {
    db = await databases.open(engine, 'push');
    users = new UserRepository(db);
    rooms = new RoomRepository(db);
    messages = new MessageRepository(db);
    subscriptions = new PushSubscriptions(db, 2);
  });
  afterAll(() => databases.closeAll());

  async function roomWith(kind: RoomKind, owner: User, ...members: User[]) {
    const room = await rooms.create({ id: newRoomId(), name: 'r', topic: '', kind, createdBy: owner.id });
    for (const m of members) await rooms.addMember(room.id, m.id);
    return room;
  }
  async function send(roomId: string, author: User, text: string, moderates = false) {
    const { names, room } = mentionedNames(text);
    const [{ message }] = await messages.appendBatch([
      { roomId, authorId: author.id, authorName: author.username, text, clientMsgId: `c${++counter}`, mentions: { names, room: room && moderates } },
    ]);
    return message;
  }
  const subscribe = (user: User) => subscriptions.save(user.id, new TestSubscription(`s${++counter}`, `https://push.example/${counter}`).toJSON());

  it('stores the mentions of members only, case-insensitively, and recomputes them on edit; a deletion clears them', async () => {
    const [a, b, c, outsider] = [await newTestUser(users, 'ma'), await newTestUser(users, 'mb'), await newTestUser(users, 'mc'), await newTestUser(users, 'mo')];
    const room = await roomWith('public', a, b, c);
    const m = await send(room.id, a, `hi @${b.username.toUpperCase()} and @${outsider.username} and @${b.username}`);
    expect(m.mentions).toEqual([b.id]);
    expect((await messages.find(room.id, m.seq))!.mentions).toEqual([b.id]);
    const edited = await messages.edit(room.id, m.seq, `now @${c.username} @room`, { ...mentionedNames(`now @${c.username} @room`), room: true });
    expect(edited!.mentions).toEqual([c.id]);
    expect(edited!.mentionsRoom).toBe(true);
    const deleted = await messages.softDelete(room.id, m.seq);
    expect(deleted!.mentions).toBeUndefined();
    expect(deleted!.mentionsRoom).toBeUndefined();
    expect((await send(room.id, a, 'no one')).mentions).toBeUndefined();
  });

  it('picks recipients by level, mentions and presence, never the author', async () => {
    const [author, all, mentioned, quiet, none, away, dnd, online, unsubscribed] = await Promise.all(
      ['ra', 'rall', 'rm', 'rq', 'rn', 'raw', 'rd', 'ro', 'ru'].map((n) => newTestUser(users, n)),
    );
    const room = await roomWith('public', author, all, mentioned, quiet, none, away, dnd, online, unsubscribed);
    for (const u of [author, all, mentioned, quiet, none, away, dnd, online]) await subscribe(u);
    await rooms.setNotifyLevel(room.id, all.id, 'all');
    await rooms.setNotifyLevel(room.id, none.id, 'none');
    for (const u of [away, dnd, online]) await rooms.setNotifyLevel(room.id, u.id, 'all');
    presence.status.set(away.id, 'away').set(dnd.id, 'dnd').set(online.id, 'online');
    const recipients = new NotificationRecipients(db, presence);

    const plain = await recipients.of(await send(room.id, author, 'hello'));
    expect(plain!.userIds.sort()).toEqual([all.id, away.id].sort());
    expect(plain!.room).toEqual({ name: 'r', kind: 'public' });
    const named = await recipients.of(await send(room.id, author, `@${mentioned.username} @${none.username} @${author.username}`));
    expect(named!.userIds.sort()).toEqual([all.id, mentioned.id, away.id].sort());
    const everyone = await recipients.of(await send(room.id, author, '@room', true));
    expect(everyone!.userIds.sort()).toEqual([all.id, mentioned.id, quiet.id, away.id].sort());

    const dm = await roomWith('dm', author, quiet);
    expect((await recipients.of(await send(dm.id, author, 'in private')))!.userIds).toEqual([quiet.id]);
  });

  it('keeps the newest subscriptions per user and prunes an endpoint for everyone', async () => {
    const [a, b] = [await newTestUser(users, 'sa'), await newTestUser(users, 'sb')];
    const endpoint = (n: number) => ({ endpoint: `https://push.example/keep/${n}`, keys: { p256dh: 'p', auth: 'a' } });
    await subscriptions.save(a.id, endpoint(1));
    await subscriptions.save(a.id, endpoint(2));
    await subscriptions.save(a.id, endpoint(3)); // the cap is 2: #1 goes
    expect((await subscriptions.of(a.id)).map((s) => s.endpoint)).toEqual([endpoint(2).endpoint, endpoint(3).endpoint]);
    await subscriptions.save(b.id, endpoint(3)); // the same browser, signed in as b too: a's row stays a's
    expect(await subscriptions.remove(b.id, endpoint(2).endpoint)).toBe(false);
    expect(await subscriptions.prune(endpoint(3).endpoint)).toBe(2);
    expect((await subscriptions.of(a.id)).map((s) => s.endpoint)).toEqual([endpoint(2).endpoint]);
    expect(await subscriptions.of(b.id)).toEqual([]);
  });

  describe('with a real queue', () => {
    let redis: RedisServerHandle;
    let connection: Redis;
    let queue: Queue<PushJobData>;

    beforeAll(async () => {
      redis = await startRedisServer();
      connection = createRedis(redis.url, 'push-test');
      queue = new Queue<PushJobData>(Queues.push, { connection, prefix: Queues.prefix });
    });
    afterAll(async () => {
      await queue.close();
      connection.disconnect();
      await redis.stop();
    });

    it('enqueues one job per (message, user) however often the event is handled, and skips stale messages', async () => {
      const [author, b, c] = [await newTestUser(users, 'qa'), await newTestUser(users, 'qb'), await newTestUser(users, 'qc')];
      const room = await roomWith('dm', author, b);
      await roomWith('public', author, c);
      await subscribe(b);
      const notifier = new PushNotifier(new NotificationRecipients(db, presence), queue, { attempts: 3 }, 3600, pushMetrics());
      const message = await send(room.id, author, 'once');
      expect(await notifier.messageCreated(message)).toBe(1);
      await notifier.messageCreated(message);
      await notifier.messageCreated(message);
      expect(await queue.getWaitingCount()).toBe(1);
      const [job] = await queue.getWaiting();
      expect(job.data).toMatchObject({ userId: b.id, notification: { messageId: message.id, body: 'once' } });
      const later = Date.parse(message.createdAt) + 3601_000;
      expect(await notifier.messageCreated(await send(room.id, author, 'old news'), later)).toBe(0);
      expect(await queue.getWaitingCount()).toBe(1);
    });
  });
});

describe('WebPushSender', () => {
  let server: Server;
  let url: string;
  const answers: { status: number; headers?: Record<string, string>; hang?: boolean }[] = [];
  const target = () => new TestSubscription('s', `${url}/push/s`).toJSON();
  const sender = (policy = new EndpointPolicy(true), timeoutMs = 2000) =>
    new WebPushSender(generateVapidKeys(), policy, { subject: 'mailto:ops@example.com', ttlSeconds: 60, timeoutMs });

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      const answer = answers.shift() ?? { status: 201 };
      if (answer.hang) return;
      res.writeHead(answer.status, answer.headers).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    [{ status: 201 }, { kind: 'delivered' }],
    [{ status: 410 }, { kind: 'gone', status: 410 }],
    [{ status: 404 }, { kind: 'gone', status: 404 }],
    [{ status: 429, headers: { 'retry-after': '7' } }, { kind: 'retry', retryAfterMs: 7000 }],
    [{ status: 502 }, { kind: 'retry' }],
    [{ status: 400 }, { kind: 'rejected' }],
    [{ status: 403 }, { kind: 'rejected' }],
  ])('reads %j as %j', async (answer, outcome) => {
    answers.push(answer);
    const s = sender();
    try {
      expect(await s.send(target(), '{}', 'topic')).toMatchObject(outcome);
    } finally {
      s.close();
    }
  });

  it('retries a push service that does not answer in time or cannot be reached', async () => {
    answers.push({ status: 201, hang: true });
    const s = sender(new EndpointPolicy(true), 200);
    try {
      expect(await s.send(target(), '{}', 't')).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/200 ms/) });
      expect(await s.send({ ...target(), endpoint: 'http://127.0.0.1:1/push' }, '{}', 't')).toMatchObject({ kind: 'retry' });
    } finally {
      s.close();
    }
  });

  it('never calls an endpoint the policy refuses, and gives up on a key it cannot encrypt to', async () => {
    const s = sender(new EndpointPolicy(false));
    try {
      expect(await s.send(target(), '{}', 't')).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/https/) });
      expect(await s.send({ ...target(), endpoint: 'https://127.0.0.1/x' }, '{}', 't')).toMatchObject({ kind: 'rejected' });
      expect(await s.send({ ...target(), endpoint: 'https://localhost/x' }, '{}', 't')).toMatchObject({ kind: 'rejected' });
    } finally {
      s.close();
    }
    const open = sender();
    try {
      const bad = { ...target(), keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'AAAAAAAAAAAAAAAAAAAAAA' } };
      expect(await open.send(bad, '{}', 't')).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/encrypt/) });
    } finally {
      open.close();
    }
  });
});
