import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { startApi, RunningApi } from '../../apps/api/src/api.app';
import { parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { createLogger } from '@chat/observability';
import { envelopeFields, newRoomId, newUserId } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { Database, MessageRepository, openDatabase, RoomRepository, UserRepository } from '@chat/store';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const ADMIN_TOKEN = randomBytes(24).toString('base64url');
const SHARDS = 2;
const logger = createLogger('api', 'silent');

/**
 * The operators' API and page over real HTTP, on PostgreSQL and a private Redis: absent
 * without ADMIN_TOKEN, 401 without the right token, the overview's content, and replaying a
 * dead letter back onto its stream.
 */
describe('admin API', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let pg: TestDatabase;
  let db: Database;
  const running: RunningApi[] = [];

  async function api(extra: Record<string, string> = {}): Promise<string> {
    const config = parseConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      API_PORT: '0',
      DATA_DIR: 'memory',
      LOG_LEVEL: 'silent',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      REDIS_URL: server.url,
      SHARDS: String(SHARDS),
      ...extra,
    });
    const app = await startApi(config, { db, logger });
    running.push(app);
    return `http://127.0.0.1:${app.port}`;
  }

  const as = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    pg = await createTestDatabase('admin_api');
    db = await openDatabase({ url: pg.url });
  });
  afterAll(async () => {
    for (const app of running) await app.close();
    await db?.close();
    await pg?.drop();
    redis?.disconnect();
    await server?.stop();
  });

  it('does not exist without ADMIN_TOKEN: the API and the page are 404', async () => {
    const url = await api();
    expect((await fetch(`${url}/api/admin/overview`, { headers: as(ADMIN_TOKEN) })).status).toBe(404);
    expect((await fetch(`${url}/admin/`)).status).toBe(404);
    const replay = await fetch(`${url}/api/admin/dead-letters/${encodeURIComponent(Keys.readsIn())}/1-0/replay`, { method: 'POST', headers: as(ADMIN_TOKEN) });
    expect(replay.status).toBe(404);
  });

  describe('with ADMIN_TOKEN', () => {
    let url: string;
    let deadId: string;
    const deadStream = Keys.inStream(1);
    const frame = '{"type":"message.send","ref":"s9","data":{"roomId":"r","text":"<img src=x onerror=alert(1)>","clientMsgId":"c9"}}';
    const fields = envelopeFields({ f: frame, u: 'u-mallory', n: 'mallory', g: 'gw-1', c: 'c-1', t: 1_700_000_000_000 });

    beforeAll(async () => {
      url = await api({ ADMIN_TOKEN });
      // A room with messages, a gateway reporting connections, a shard lease, a backlog and a dead letter.
      const users = new UserRepository(db);
      const rooms = new RoomRepository(db);
      const author = await users.create({ id: newUserId(), username: 'opsalice', passwordHash: null });
      const room = await rooms.create({ id: newRoomId(), name: 'busy room', topic: '', kind: 'public', createdBy: author.id });
      await new MessageRepository(db).appendBatch(
        [1, 2, 3].map((k) => ({ roomId: room.id, authorId: author.id, authorName: author.username, text: `m${k}`, clientMsgId: `m${k}` })),
        { mayExist: false },
      );
      await redis.zadd(Keys.gatewayHeartbeats(), Date.now(), 'gw-a', Date.now(), 'gw-b');
      await redis.sadd(Keys.gatewayConnections('gw-a'), 'u1 c1', 'u2 c2');
      await redis.set(Keys.shardLease(0), 'msg-host-7-abc/0a1b2c', 'PX', 60_000);
      await redis.xgroup('CREATE', Keys.inStream(0), 'messages', '$', 'MKSTREAM');
      await redis.xadd(Keys.inStream(0), '*', 'f', '{}');
      deadId = (await redis.xadd(Keys.deadLetters(deadStream), '*', ...fields, 'dl.stream', deadStream, 'dl.id', '5-0', 'dl.error', 'TypeError boom', 'dl.at', '1700000000000'))!;
    });

    it.each([
      ['no token', undefined],
      ['a wrong token', `${ADMIN_TOKEN}x`],
    ])('answers 401 with %s', async (_name, token) => {
      const overview = await fetch(`${url}/api/admin/overview`, { headers: as(token) });
      expect(overview.status).toBe(401);
      expect(await overview.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'admin token required' } });
      const replay = await fetch(`${url}/api/admin/dead-letters/${encodeURIComponent(deadStream)}/${deadId}/replay`, { method: 'POST', headers: as(token) });
      expect(replay.status).toBe(401);
      // Nothing was replayed.
      expect(await redis.xlen(Keys.deadLetters(deadStream))).toBe(1);
    });

    it('gives the overview: gateways, rooms by activity, shard owners, backlog per group, dead letters with their error', async () => {
      const res = await fetch(`${url}/api/admin/overview`, { headers: as(ADMIN_TOKEN) });
      expect(res.status).toBe(200);
      const o = (await res.json()) as Record<string, unknown>;
      expect(o.gateways).toEqual([
        { gatewayId: 'gw-a', connections: 2, lastHeartbeatAt: expect.any(String) },
        { gatewayId: 'gw-b', connections: 0, lastHeartbeatAt: expect.any(String) },
      ]);
      expect(o.rooms).toEqual([{ id: expect.any(String), name: 'busy room', kind: 'public', memberCount: 1, messages: 3, lastMessageAt: expect.any(String) }]);
      expect(o.shards).toEqual([
        { shard: 0, owner: 'msg-host-7-abc', ttlMs: expect.any(Number) },
        { shard: 1, owner: null, ttlMs: null },
      ]);
      expect(o.groups).toContainEqual({ stream: Keys.inStream(0), group: 'messages', lag: 1, pending: 0 });
      expect(o.deadLetters).toEqual([
        { stream: deadStream, id: deadId, originalId: '5-0', error: 'TypeError boom', at: '2023-11-14T22:13:20.000Z', user: 'mallory', frame },
      ]);
    });

    it('replays a dead letter back onto its stream, once', async () => {
      const path = `${url}/api/admin/dead-letters/${encodeURIComponent(deadStream)}/${deadId}/replay`;
      const res = await fetch(path, { method: 'POST', headers: as(ADMIN_TOKEN) });
      expect(res.status).toBe(200);
      const { replayedAs } = (await res.json()) as { replayedAs: string };
      const back = await redis.xrange(deadStream, replayedAs, replayedAs);
      expect(back).toEqual([[replayedAs, fields]]);
      expect(await redis.xlen(Keys.deadLetters(deadStream))).toBe(0);

      expect((await fetch(path, { method: 'POST', headers: as(ADMIN_TOKEN) })).status).toBe(404);
      const notAStream = `${url}/api/admin/dead-letters/${encodeURIComponent('chat:bull:x')}/${deadId}/replay`;
      expect((await fetch(notAStream, { method: 'POST', headers: as(ADMIN_TOKEN) })).status).toBe(404);
    });

    it('serves the page at /admin: static HTML and a script that writes server data only as text', async () => {
      const page = await fetch(`${url}/admin/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      expect(html).toContain('<script type="module" src="admin.js"></script>');
      const script = await fetch(`${url}/admin/admin.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      const js = await script.text();
      expect(js).toContain('/api/admin/overview');
      expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    });
  });
});
