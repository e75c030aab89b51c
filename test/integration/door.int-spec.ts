import { TokenService } from '@chat/auth';
import { parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { DoorRequestError, RunningDoorGateway, startDoorGateway } from '@chat/door';
import { MessagesService } from '@chat/messaging';
import { createLogger } from '@chat/observability';
import { EventFrame, Message } from '@chat/protocol';
import { migrate, PgDatabase, UserRepository } from '@chat/store';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { waitFor } from '../support/wait-for';

const logger = createLogger('door-int', 'silent');
const SECRET = 'door-integration-secret-0123456789abcdef';
const alice = { id: 'u-door-alice', username: 'dooralice' };
const bob = { id: 'u-door-bob', username: 'doorbob' };

/**
 * libs/door end to end inside one process: startDoorGateway on a private redis-server, a
 * messages service on PostgreSQL behind the streams. Sessions get hello after the messages
 * service loaded their rooms, requests go through the streams and come back as replies, and a
 * room's messages reach another session in seq order.
 */
describe('door sessions on Redis and a messages service', () => {
  let server: RedisServerHandle;
  let pg: TestDatabase;
  let db: PgDatabase;
  let messages: MessagesService;
  let door: RunningDoorGateway;
  const tokens = new TokenService(SECRET, 3600);

  beforeAll(async () => {
    server = await startRedisServer();
    pg = await createTestDatabase('door_int');
    db = new PgDatabase(pg.url);
    await migrate(db);
    for (const u of [alice, bob]) await new UserRepository(db).create({ ...u, passwordHash: null });
    const config = parseConfig({ REDIS_URL: server.url, SHARDS: '2', LOG_LEVEL: 'silent', NODE_ENV: 'test', JWT_SECRET: SECRET, GATEWAY_ID: 'int', GATEWAY_DRAIN_MS: '0' });
    messages = new MessagesService(config, db, logger);
    await messages.start();
    door = await startDoorGateway(config, logger, { idPrefix: 'door' });
  });
  afterAll(async () => {
    await door?.close();
    await messages?.stop();
    await db?.close();
    await server?.stop();
    await pg?.drop();
  });

  it('greets, answers requests through the streams and delivers a room to another session in seq order', async () => {
    expect(door.id).toBe('door-int');
    const a = door.openSession(await tokens.sign(alice));
    const b = door.openSession(await tokens.sign(bob));
    expect(await a.ready).toMatchObject({ userId: alice.id, username: alice.username });
    await b.ready;

    const { room } = await a.request('room.create', { name: 'door-int' });
    await b.request('room.join', { roomId: room.id });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const event of b.events()) {
        if (event.type === 'message.created' && (event as EventFrame<Message>).data.roomId === room.id) seen.push((event as EventFrame<Message>).data.seq);
      }
    })();

    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => a.request('message.send', { roomId: room.id, text: `m${i}`, clientMsgId: `c${i}` })));
    expect(replies.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await waitFor(() => seen.length === 20, { what: '20 messages at the other session', timeoutMs: 10_000 });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    const refused = await b.request('message.send', { roomId: 'no-such-room', text: 'x', clientMsgId: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DoorRequestError);
    expect((refused as DoorRequestError).code).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
    const { messages: history } = await b.request('message.history', { roomId: room.id, limit: 100 });
    expect(history).toHaveLength(20); // the refused send stored nothing

    b.close();
    await reading;
    expect(await b.closed).toMatchObject({ code: 1000, byServer: false });
    expect(door.stats()).toMatchObject({ sessions: 1 });
    a.close();
  });
});
