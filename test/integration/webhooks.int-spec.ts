import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { EndpointPolicy } from '@chat/outbound-http';
import { ChatError, ErrorCode, newBotUserId, newRoomId, newWebhookId, User } from '@chat/protocol';
import { createRedis, Queues } from '@chat/redis';
import { BotRepository, Database, MessageRepository, RoomRepository, UserRepository, WebhookAttempt, WebhookRepository } from '@chat/store';
import { startRedisServer, RedisServerHandle } from '@chat/devstack';
import {
  RoomWebhooks,
  WebhookDispatcher,
  webhookEvent,
  WebhookHeaders,
  WebhookJobData,
  WebhookSender,
  webhookSignatureProblem,
  webhooksMetrics,
} from '@chat/webhooks';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { codeOf } from '../support/fakes';
import { ENGINE_NAMES, newTestUser, TestDatabases } from '../support/engines';

/**
 * libs/webhooks and the bot accounts against real databases (both engines) and a real
 * Redis: webhooks and their logs as stored, who may manage them, one job per (event,
 * webhook), what a receiver gets; bots as users, marked `bot` wherever users are read.
 */
const databases = new TestDatabases();

describe.each(ENGINE_NAMES)('webhooks and bots on %s', (engine) => {
  let db: Database;
  let users: UserRepository;
  let rooms: RoomRepository;
  let webhooks: WebhookRepository;
  let bots: BotRepository;

  beforeAll(async () => {
    db = await databases.open(engine, 'webhooks');
    users = new UserRepository(db);
    rooms = new RoomRepository(db);
    webhooks = new WebhookRepository(db);
    bots = new BotRepository(db);
  });
  afterAll(() => databases.closeAll());

  const roomOf = (owner: User) => rooms.create({ id: newRoomId(), name: 'r', topic: '', kind: 'public', createdBy: owner.id });
  const hook = (roomId: string, owner: User, events: ('message.created' | 'member.joined')[] = ['message.created']) =>
    webhooks.create({ id: newWebhookId(), roomId, url: 'https://hooks.example/in', events, secret: 'whsec_x', createdBy: owner.id }, 3);
  const attempt = (webhookId: string, outcome: WebhookAttempt['outcome'], n = 1): WebhookAttempt => ({
    webhookId,
    eventId: `0-${n}-0`,
    eventType: 'message.created',
    attempt: 1,
    outcome,
    ...(outcome === 'delivered' ? { status: 200 } : { status: 500, error: 'receiver answered 500' }),
    durationMs: 3,
  });

  it('stores webhooks without showing their secret, at most the limit per room, and filters by room, type and state', async () => {
    const owner = await newTestUser(users, 'wo');
    const [room, other] = [await roomOf(owner), await roomOf(owner)];
    const created = await hook(room.id, owner);
    expect(created).toEqual({
      id: created.id,
      roomId: room.id,
      url: 'https://hooks.example/in',
      events: ['message.created'],
      createdBy: owner.id,
      createdAt: expect.any(String),
      enabled: true,
      failureCount: 0,
    });
    const joins = await hook(room.id, owner, ['member.joined']);
    await hook(room.id, owner, ['message.created', 'member.joined']);
    expect(await codeOf(hook(room.id, owner))).toBe(ErrorCode.FORBIDDEN);
    expect((await webhooks.list(room.id)).map((w) => w.id)).toHaveLength(3);
    expect(await webhooks.wanting(room.id, 'message.created')).toHaveLength(2);
    expect(await webhooks.wanting(room.id, 'member.joined')).toHaveLength(2);
    expect(await webhooks.wanting(room.id, 'member.left')).toEqual([]);
    expect(await webhooks.wanting(other.id, 'message.created')).toEqual([]);
    expect(await webhooks.target(joins.id)).toEqual({ id: joins.id, url: 'https://hooks.example/in', secret: 'whsec_x', enabled: true });
    expect(await webhooks.remove(other.id, joins.id)).toBe(false); // another room's id: not this room's webhook
    expect(await webhooks.remove(room.id, joins.id)).toBe(true);
    expect(await webhooks.wanting(room.id, 'member.joined')).toHaveLength(1);
  });

  it('counts failures in a row, resets them on success, disables once at the limit with the reason, and re-enables', async () => {
    const owner = await newTestUser(users, 'wf');
    const room = await roomOf(owner);
    const { id } = await hook(room.id, owner);
    const policy = { disableAfter: 3, logSize: 100 };
    expect(await webhooks.recordAttempt(attempt(id, 'failed'), policy)).toEqual({ disabled: false });
    expect(await webhooks.recordAttempt(attempt(id, 'failed'), policy)).toEqual({ disabled: false });
    expect(await webhooks.recordAttempt(attempt(id, 'delivered'), policy)).toEqual({ disabled: false });
    expect((await webhooks.find(room.id, id))!.failureCount).toBe(0);
    for (let n = 0; n < 2; n++) expect(await webhooks.recordAttempt(attempt(id, 'failed'), policy)).toEqual({ disabled: false });
    expect(await webhooks.recordAttempt(attempt(id, 'refused'), policy)).toEqual({ disabled: true });
    // Attempts already in flight when it was disabled are logged, but do not disable it again.
    expect(await webhooks.recordAttempt(attempt(id, 'failed'), policy)).toEqual({ disabled: false });
    const disabled = (await webhooks.find(room.id, id))!;
    expect(disabled).toMatchObject({ enabled: false, failureCount: 4, disabledReason: expect.stringMatching(/^3 delivery attempts failed in a row; the last: receiver answered 500/) });
    expect(await webhooks.wanting(room.id, 'message.created')).toEqual([]);
    expect(await webhooks.reEnable(room.id, id)).toMatchObject({ enabled: true, failureCount: 0 });
    expect((await webhooks.find(room.id, id))!.disabledReason).toBeUndefined();
    expect(await webhooks.reEnable(room.id, 'wh-nope')).toBeUndefined();
  });

  it('keeps the last attempts only, newest first', async () => {
    const owner = await newTestUser(users, 'wl');
    const room = await roomOf(owner);
    const { id } = await hook(room.id, owner);
    for (let n = 1; n <= 5; n++) await webhooks.recordAttempt(attempt(id, n % 2 ? 'failed' : 'delivered', n), { disableAfter: 100, logSize: 3 });
    const log = await webhooks.deliveries(id, 100);
    expect(log.map((d) => d.eventId)).toEqual(['0-5-0', '0-4-0', '0-3-0']);
    expect(log[1]).toEqual({ eventId: '0-4-0', eventType: 'message.created', attempt: 1, status: 200, outcome: 'delivered', durationMs: 3, at: expect.any(String) });
    expect(log[0]).toMatchObject({ status: 500, outcome: 'failed', error: 'receiver answered 500' });
    const { count } = (await db.query<{ count: number }>('SELECT count(*)::int AS count FROM webhook_deliveries WHERE webhook_id = $1', [id]))[0];
    expect(count).toBe(3);
  });

  it('lets the owner and moderators manage webhooks, nobody else, and vets the URL', async () => {
    const [owner, moderator, member, outsider] = [await newTestUser(users, 'mo'), await newTestUser(users, 'mm'), await newTestUser(users, 'mb'), await newTestUser(users, 'mx')];
    const room = await roomOf(owner);
    await rooms.addMember(room.id, moderator.id, 'moderator');
    await rooms.addMember(room.id, member.id);
    const resolving = async () => ['93.184.216.34'];
    const manage = new RoomWebhooks(rooms, webhooks, new EndpointPolicy(false, resolving), { maxPerRoom: 5, logSize: 10 });
    const created = await manage.create(owner, room.id, { url: 'https://hooks.example/a', events: ['member.joined'] });
    expect(created.secret).toMatch(/^whsec_/);
    expect(await manage.list(moderator, room.id)).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);
    expect((await manage.create(moderator, room.id, { url: 'https://hooks.example/b' })).events).toEqual([
      'message.created',
      'message.updated',
      'message.deleted',
      'member.joined',
      'member.left',
      'reaction.added',
      'reaction.removed',
    ]);
    for (const who of [member, outsider]) {
      expect(await codeOf(manage.create(who, room.id, { url: 'https://hooks.example/c' }))).toBe(ErrorCode.FORBIDDEN);
      expect(await codeOf(manage.list(who, room.id))).toBe(ErrorCode.FORBIDDEN);
      expect(await codeOf(manage.deliveries(who, room.id, created.id))).toBe(ErrorCode.FORBIDDEN);
      expect(await codeOf(manage.remove(who, room.id, created.id))).toBe(ErrorCode.FORBIDDEN);
    }
    expect(await codeOf(manage.list(owner, 'r-missing'))).toBe(ErrorCode.NOT_FOUND);
    for (const url of ['http://hooks.example/a', 'https://127.0.0.1/a', 'https://[::1]/a', 'https://user:pw@hooks.example/a', 'not a url']) {
      const err = await manage.create(owner, room.id, { url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChatError);
      expect((err as ChatError).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(await manage.list(owner, room.id)).toHaveLength(2);
    await manage.remove(owner, room.id, created.id);
    expect(await codeOf(manage.remove(owner, room.id, created.id))).toBe(ErrorCode.NOT_FOUND);
  });

  it('stores bots as users with an owner, up to the limit, in the username space of people', async () => {
    const owner = await newTestUser(users, 'bo');
    const bot = await bots.create({ id: newBotUserId(), username: `${owner.username}_bot`, ownerId: owner.id }, 2);
    expect(bot).toEqual({ id: bot.id, username: `${owner.username}_bot`, bot: true, ownerId: owner.id, createdAt: expect.any(String) });
    expect(await codeOf(bots.create({ id: newBotUserId(), username: owner.username.toUpperCase(), ownerId: owner.id }, 2))).toBe(ErrorCode.CONFLICT);
    await bots.create({ id: newBotUserId(), username: `${owner.username}_b2`, ownerId: owner.id }, 2);
    expect(await codeOf(bots.create({ id: newBotUserId(), username: `${owner.username}_b3`, ownerId: owner.id }, 2))).toBe(ErrorCode.FORBIDDEN);
    expect((await bots.ownedBy(owner.id)).map((b) => b.username)).toEqual([`${owner.username}_bot`, `${owner.username}_b2`]);
    expect(await codeOf(bots.requireOwned('u-someone-else', bot.id))).toBe(ErrorCode.NOT_FOUND);
    expect(await users.requireByUsername(bot.username)).toEqual({ id: bot.id, username: bot.username, bot: true });
    expect(await bots.markDeleted(owner.id, bot.id)).toBe(true);
    expect(await bots.markDeleted(owner.id, bot.id)).toBe(false);
    expect((await bots.ownedBy(owner.id)).map((b) => b.username)).toEqual([`${owner.username}_b2`]);
    expect(await codeOf(bots.requireOwned(owner.id, bot.id))).toBe(ErrorCode.NOT_FOUND);
    // A deleted bot frees a place, not its name.
    await bots.create({ id: newBotUserId(), username: `${owner.username}_b3`, ownerId: owner.id }, 2);
    expect(await codeOf(bots.create({ id: newBotUserId(), username: bot.username, ownerId: owner.id }, 5))).toBe(ErrorCode.CONFLICT);
  });

  it('marks a bot `bot: true` as an author and a member, and nobody else', async () => {
    const owner = await newTestUser(users, 'ba');
    const bot = await bots.create({ id: newBotUserId(), username: `${owner.username}_bot`, ownerId: owner.id }, 5);
    const room = await roomOf(owner);
    await rooms.addMember(room.id, bot.id);
    const messages = new MessageRepository(db);
    const [{ message }, { message: human }] = await messages.appendBatch([
      { roomId: room.id, authorId: bot.id, authorName: bot.username, text: 'beep', clientMsgId: 'c1', mentions: { names: [], room: false } },
      { roomId: room.id, authorId: owner.id, authorName: owner.username, text: 'hi', clientMsgId: 'c2', mentions: { names: [], room: false } },
    ]);
    expect(message.author).toEqual({ id: bot.id, username: bot.username, bot: true });
    expect(human.author).toEqual({ id: owner.id, username: owner.username });
    expect((await messages.find(room.id, message.seq))!.author.bot).toBe(true);
    const members = await rooms.members(room.id);
    expect(members.find((m) => m.id === bot.id)).toEqual({ id: bot.id, username: bot.username, role: 'member', bot: true });
    expect(members.find((m) => m.id === owner.id)).not.toHaveProperty('bot');
  });

  describe('with a real queue', () => {
    let redis: RedisServerHandle;
    let connection: Redis;
    let queue: Queue<WebhookJobData>;

    beforeAll(async () => {
      redis = await startRedisServer();
      connection = createRedis(redis.url, 'webhooks-test');
      queue = new Queue<WebhookJobData>(Queues.webhooks, { connection, prefix: Queues.prefix });
    });
    afterAll(async () => {
      await queue.close();
      connection.disconnect();
      await redis.stop();
    });

    it('enqueues one job per (event, webhook that wants it) however often the event is handled', async () => {
      const owner = await newTestUser(users, 'qa');
      const room = await roomOf(owner);
      const [a, b] = [await hook(room.id, owner, ['member.joined']), await hook(room.id, owner, ['member.joined', 'message.created'])];
      await hook(room.id, owner, ['message.created']);
      const dispatcher = new WebhookDispatcher(webhooks, queue, { attempts: 3 }, webhooksMetrics());
      const event = webhookEvent('member.joined', { roomId: room.id, userId: owner.id }, '2-17-0', Date.now());
      for (let n = 0; n < 3; n++) await dispatcher.dispatch(event);
      const jobs = await queue.getWaiting();
      expect(jobs.map((j) => j.id).sort()).toEqual([`${a.id}/2-17-0`, `${b.id}/2-17-0`].sort());
      expect(jobs[0].data.event).toEqual(event);
    });
  });
});

describe('WebhookSender', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const answers: { status: number; headers?: Record<string, string> }[] = [];
  const event = webhookEvent('member.joined', { roomId: 'r1', userId: 'u1' }, '0-1-0', Date.now());
  const target = () => ({ id: 'wh1', url: `${url}/in`, secret: 'whsec_test' });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        const answer = answers.shift() ?? { status: 204 };
        res.writeHead(answer.status, answer.headers).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the event as JSON with a signature the receiver verifies', async () => {
    const sender = new WebhookSender(new EndpointPolicy(true), 2000);
    try {
      expect(await sender.send(target(), event, 2)).toEqual({ outcome: 'delivered', status: 204 });
      const { headers, body } = received.at(-1)!;
      expect(JSON.parse(body)).toEqual(event);
      expect(headers).toMatchObject({
        'content-type': 'application/json',
        [WebhookHeaders.webhookId]: 'wh1',
        [WebhookHeaders.eventId]: '0-1-0',
        [WebhookHeaders.eventType]: 'member.joined',
        [WebhookHeaders.attempt]: '2',
      });
      const signed = { body, timestamp: headers[WebhookHeaders.timestamp] as string, signature: headers[WebhookHeaders.signature] as string };
      expect(webhookSignatureProblem('whsec_test', signed)).toBeUndefined();
      expect(webhookSignatureProblem('whsec_other', signed)).toMatch(/does not match/);
    } finally {
      sender.close();
    }
  });

  it('reads 5xx with Retry-After as failed, a network error as failed, and never calls a refused address', async () => {
    const sender = new WebhookSender(new EndpointPolicy(true), 2000);
    try {
      answers.push({ status: 503, headers: { 'retry-after': '3' } });
      expect(await sender.send(target(), event, 1)).toEqual({ outcome: 'failed', status: 503, error: 'receiver answered 503', retryAfterMs: 3000 });
      expect(await sender.send({ ...target(), url: 'http://127.0.0.1:1/in' }, event, 1)).toMatchObject({ outcome: 'failed', error: expect.any(String) });
    } finally {
      sender.close();
    }
    const strict = new WebhookSender(new EndpointPolicy(false), 2000);
    const before = received.length;
    try {
      expect(await strict.send(target(), event, 1)).toMatchObject({ outcome: 'refused', error: expect.stringMatching(/https/) });
      expect(await strict.send({ ...target(), url: 'https://localhost/in' }, event, 1)).toMatchObject({ outcome: 'refused' });
      expect(received.length).toBe(before);
    } finally {
      strict.close();
    }
  });
});
