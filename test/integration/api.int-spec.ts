import { startApi } from '../../apps/api/src/api.app';
import { Config, parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { createLogger } from '@chat/observability';
import { newRoomId, User } from '@chat/protocol';
import { randomBytes } from 'node:crypto';
import { Database, MessageRepository, openDatabase, RoomRepository, UserRepository } from '@chat/store';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * The api app over real HTTP, on both database engines: the same suite against embedded
 * PGlite (in memory) and against a fresh PostgreSQL database.
 */

const logger = createLogger('api', 'silent');
const WEB_INDEX = '<!doctype html><title>chat test client</title>';

type Engine = 'pglite' | 'postgres';

interface Session {
  token: string;
  user: User;
}

const JWT_SECRET = randomBytes(48).toString('base64url');
let redisUrl = '';

/** The suite logs in far more than a person; the throttle tests run their own instances. */
const GENEROUS_THROTTLES = {
  AUTH_LOGIN_FAILURES_PER_ACCOUNT: '100000',
  AUTH_LOGIN_FAILURES_PER_ADDRESS: '100000',
  AUTH_SIGNUPS_PER_ADDRESS: '100000',
};

function configFor(webDir: string, extra: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    API_PORT: '0',
    GATEWAY_PORT: '8080',
    // Nothing under ./data: the database is handed in, and VAPID keys stay in memory.
    DATA_DIR: 'memory',
    LOG_LEVEL: 'silent',
    JWT_SECRET,
    REDIS_URL: redisUrl,
    WEB_DIR: webDir,
    ...GENEROUS_THROTTLES,
    ...extra,
  });
}

/** Every error the api sends has exactly this shape. */
async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect({ status: response.status, body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe.each<Engine>(['pglite', 'postgres'])('api on %s', (engine) => {
  let testDb: TestDatabase | undefined;
  let db: Database;
  let webDir: string;
  let api: { port: number; close(): Promise<void> };
  let noGuests: { port: number; close(): Promise<void> };
  let base: string;
  let noGuestsBase: string;
  let seq = 0;

  /** A username unique to this run, so tests do not depend on each other's users. */
  const unique = (prefix: string) => `${prefix}${++seq}_${engine}`;

  const post = (path: string, body: unknown, root = base) =>
    fetch(`${root}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = (path: string, token?: string, root = base) =>
    fetch(`${root}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  async function guest(username = unique('guest')): Promise<Session> {
    const response = await post('/api/auth/guest', { username });
    expect(response.status).toBe(200);
    return (await response.json()) as Session;
  }

  let redisServer: RedisServerHandle;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redisUrl = redisServer.url;
    if (engine === 'postgres') {
      testDb = await createTestDatabase('api_test');
      db = await openDatabase({ url: testDb.url });
    } else {
      db = await openDatabase({ dataDir: 'memory' });
    }
    webDir = mkdtempSync(join(tmpdir(), 'api-web-'));
    writeFileSync(join(webDir, 'index.html'), WEB_INDEX);
    api = await startApi(configFor(webDir), { db, logger });
    base = `http://127.0.0.1:${api.port}`;
    // A second instance on the same database, configured the other way.
    noGuests = await startApi(
      configFor(join(webDir, 'missing'), { GUEST_LOGIN: 'false', PUBLIC_WS_URL: 'wss://chat.example.com/ws' }),
      { db, logger },
    );
    noGuestsBase = `http://127.0.0.1:${noGuests.port}`;
  });

  afterAll(async () => {
    await api?.close();
    await noGuests?.close();
    await db?.close();
    await testDb?.drop();
    await redisServer?.stop();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  describe('POST /api/auth/guest', () => {
    it('logs a guest in with a token, and gives the name back only to that guest', async () => {
      const name = unique('Alice');
      const first = await guest(name);
      expect(first.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(first.user).toEqual({ id: expect.stringMatching(/^u[a-z0-9]+$/), username: name });

      // Anyone else asking for the name, in any case, is refused: no takeover of a guest.
      for (const taken of [name, name.toUpperCase(), name.toLowerCase()]) {
        const response = await post('/api/auth/guest', { username: taken });
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(response.status).toBe(409);
        expect(body.error).toEqual({ code: 'CONFLICT', message: expect.stringContaining('username is taken') });
      }
      // A token of another guest proves nothing.
      const other = await guest();
      await expectError(await post('/api/auth/guest', { username: name, token: other.token }), 409, 'CONFLICT');
      await expectError(await post('/api/auth/guest', { username: name, token: 'garbage' }), 409, 'CONFLICT');

      // The guest itself, presenting its token, gets its user back (with a new token).
      const again = await post('/api/auth/guest', { username: name.toUpperCase(), token: first.token });
      expect(again.status).toBe(200);
      const session = (await again.json()) as Session;
      expect(Object.keys(session).sort()).toEqual(['token', 'user']);
      expect(session.user).toEqual(first.user);
      expect((await get('/api/rooms', session.token)).status).toBe(200);
    });

    it.each([
      ['too short', { username: 'a' }],
      ['bad characters', { username: 'no spaces!' }],
      ['too long', { username: 'x'.repeat(33) }],
      ['not a string', { username: 42 }],
      ['missing', {}],
    ])('rejects a username that is %s with 400', async (_case, body) => {
      await expectError(await post('/api/auth/guest', body), 400, 'BAD_REQUEST');
    });

    it('answers 400 to a body that is not JSON at all', async () => {
      const response = await fetch(`${base}/api/auth/guest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username": "broken',
      });
      await expectError(response, 400, 'BAD_REQUEST');
    });

    it('answers 409 for a name a registered account holds', async () => {
      const name = unique('owner');
      expect((await post('/api/auth/register', { username: name, password: 'correct horse' })).status).toBe(200);
      await expectError(await post('/api/auth/guest', { username: name }), 409, 'CONFLICT');
      await expectError(await post('/api/auth/guest', { username: name.toLowerCase() }), 409, 'CONFLICT');
    });

    it('answers 403 when guest login is turned off', async () => {
      await expectError(await post('/api/auth/guest', { username: unique('nope') }, noGuestsBase), 403, 'FORBIDDEN');
    });
  });

  describe('register and login', () => {
    it('registers, then logs in with the password to the same user', async () => {
      const name = unique('bob');
      const registered = await post('/api/auth/register', { username: name, password: 'hunter2hunter2' });
      expect(registered.status).toBe(200);
      const session = (await registered.json()) as Session;
      expect(session.user).toEqual({ id: expect.stringMatching(/^u/), username: name });
      expect(typeof session.token).toBe('string');

      const login = await post('/api/auth/login', { username: name, password: 'hunter2hunter2' });
      expect(login.status).toBe(200);
      const loggedIn = (await login.json()) as Session;
      expect(loggedIn.user).toEqual(session.user);
      // The token works where tokens are required.
      expect((await get('/api/rooms', loggedIn.token)).status).toBe(200);
      // Registered users still log in when guest login is off.
      expect((await post('/api/auth/login', { username: name, password: 'hunter2hunter2' }, noGuestsBase)).status).toBe(200);
    });

    it('answers 409 for a taken name, by a registered user or a guest', async () => {
      const name = unique('carol');
      expect((await post('/api/auth/register', { username: name, password: 'password-one' })).status).toBe(200);
      await expectError(await post('/api/auth/register', { username: name.toUpperCase(), password: 'password-two' }), 409, 'CONFLICT');
      const guestName = (await guest()).user.username;
      await expectError(await post('/api/auth/register', { username: guestName, password: 'password-two' }), 409, 'CONFLICT');
    });

    it.each([
      ['a short password', { username: 'dave_ok', password: 'short' }],
      ['a bad username', { username: 'd', password: 'long enough' }],
      ['no password', { username: 'dave_ok' }],
    ])('answers 400 to a registration with %s', async (_case, body) => {
      await expectError(await post('/api/auth/register', body), 400, 'BAD_REQUEST');
    });

    it('answers 401 to a wrong password, an unknown user and a guest without password', async () => {
      const name = unique('erin');
      expect((await post('/api/auth/register', { username: name, password: 'right password' })).status).toBe(200);
      await expectError(await post('/api/auth/login', { username: name, password: 'wrong password' }), 401, 'UNAUTHORIZED');
      await expectError(await post('/api/auth/login', { username: unique('nobody'), password: 'whatever1' }), 401, 'UNAUTHORIZED');
      const guestName = (await guest()).user.username;
      await expectError(await post('/api/auth/login', { username: guestName, password: 'whatever1' }), 401, 'UNAUTHORIZED');
    });

    it('answers 400 to a login without credentials', async () => {
      await expectError(await post('/api/auth/login', { username: 'someone' }), 400, 'BAD_REQUEST');
    });
  });

  describe('GET /api/rooms', () => {
    it('requires a valid bearer token', async () => {
      await expectError(await get('/api/rooms'), 401, 'UNAUTHORIZED');
      await expectError(await get('/api/rooms', 'not-a-jwt'), 401, 'UNAUTHORIZED');
      const response = await fetch(`${base}/api/rooms`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      await expectError(response, 401, 'UNAUTHORIZED');
      // A token signed with another secret is no token.
      const forged = (await guest()).token.replace(/\.[\w-]+$/, '.c2lnbmF0dXJl');
      await expectError(await get('/api/rooms', forged), 401, 'UNAUTHORIZED');
    });

    it("lists public rooms and the caller's rooms, not other people's private rooms", async () => {
      const owner = await guest();
      const other = await guest();
      const rooms = new RoomRepository(db);
      const lobby = await rooms.create({ id: newRoomId(), name: 'lobby', topic: 'hi', kind: 'public', createdBy: owner.user.id });
      const secret = await rooms.create({ id: newRoomId(), name: 'secret', topic: '', kind: 'private', createdBy: owner.user.id });

      const mine = await get('/api/rooms', owner.token);
      expect(mine.status).toBe(200);
      const { rooms: ownerRooms } = (await mine.json()) as { rooms: { id: string; joined: boolean }[] };
      expect(ownerRooms).toEqual(
        expect.arrayContaining([
          { ...lobby, joined: true, unread: 0, notify: 'mentions' },
          { ...secret, joined: true, unread: 0, notify: 'mentions' },
        ]),
      );

      const theirs = (await (await get('/api/rooms', other.token)).json()) as { rooms: { id: string; joined: boolean }[] };
      expect(theirs.rooms).toContainEqual({ ...lobby, joined: false, unread: 0 });
      expect(theirs.rooms.map((r) => r.id)).not.toContain(secret.id);
    });
  });

  describe('push subscriptions, by default (https, public addresses only)', () => {
    // A real browser key (any P-256 point does) and a 16-byte auth secret.
    const keys = {
      p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
      auth: 'A'.repeat(22),
    };
    const subscribe = async (endpoint: string, token: string) =>
      fetch(`${base}/api/push/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ endpoint, keys }),
      });

    it.each([
      'http://push.example.com/x',
      'https://127.0.0.1/x',
      'https://[::1]/x',
      'https://localhost/x',
      'https://10.0.0.1/x',
      'https://169.254.169.254/latest/meta-data/',
    ])('refuses %s with 400', async (endpoint) => {
      const { token } = await guest();
      const res = await subscribe(endpoint, token);
      await expectError(res, 400, 'BAD_REQUEST');
    });

    it('serves the VAPID public key without a token', async () => {
      const res = await get('/api/push/vapid-public-key');
      expect(res.status).toBe(200);
      const { publicKey } = (await res.json()) as { publicKey: string };
      expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
    });
  });

  describe('GET /api/rooms/:id/messages', () => {
    let member: Session;
    let outsider: Session;
    let roomId: string;

    beforeAll(async () => {
      member = await guest();
      outsider = await guest();
      roomId = newRoomId();
      await new RoomRepository(db).create({ id: roomId, name: 'history', topic: '', kind: 'public', createdBy: member.user.id });
      await new MessageRepository(db).appendBatch(
        Array.from({ length: 7 }, (_, i) => ({
          roomId,
          authorId: member.user.id,
          authorName: member.user.username,
          text: `message ${i + 1}`,
          clientMsgId: `c${i + 1}`,
        })),
      );
    });

    const page = async (query: string) => {
      const response = await get(`/api/rooms/${roomId}/messages${query}`, member.token);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { messages: { seq: number; text: string; roomId: string }[]; hasMore: boolean };
      return { seqs: body.messages.map((m) => m.seq), hasMore: body.hasMore, messages: body.messages };
    };

    it('pages back through history, oldest first in each page', async () => {
      expect(await page('?limit=3')).toMatchObject({ seqs: [5, 6, 7], hasMore: true });
      expect(await page('?beforeSeq=5&limit=3')).toMatchObject({ seqs: [2, 3, 4], hasMore: true });
      expect(await page('?beforeSeq=2&limit=3')).toMatchObject({ seqs: [1], hasMore: false });
      const all = await page('');
      expect(all).toMatchObject({ seqs: [1, 2, 3, 4, 5, 6, 7], hasMore: false });
      expect(all.messages[0]).toMatchObject({
        id: `${roomId}:1`,
        roomId,
        text: 'message 1',
        author: member.user,
        clientMsgId: 'c1',
        reactions: [],
        attachments: [],
      });
      // An empty parameter is no parameter.
      expect(await page('?beforeSeq=&limit=')).toMatchObject({ seqs: [1, 2, 3, 4, 5, 6, 7], hasMore: false });
    });

    it.each(['?limit=101', '?limit=0', '?limit=abc', '?beforeSeq=0', '?beforeSeq=-3', '?limit=2.5', '?limit=1&limit=2'])(
      'answers 400 to %s',
      async (query) => {
        await expectError(await get(`/api/rooms/${roomId}/messages${query}`, member.token), 400, 'BAD_REQUEST');
      },
    );

    it.each([
      '?beforeSeq=2147483648',
      '?beforeSeq=99999999999',
      '?beforeSeq=%00',
      '?beforeSeq=1%00',
      '?limit=5%0A',
      '?other=%07',
      '?other=a%00b',
      '?other[x]=%00',
    ])('answers 400, never 500, to out-of-range numbers and control characters in the query: %s', async (query) => {
      await expectError(await get(`/api/rooms/${roomId}/messages${query}`, member.token), 400, 'BAD_REQUEST');
    });

    it('takes the largest seq PostgreSQL stores', async () => {
      expect(await page('?beforeSeq=2147483647&limit=2')).toMatchObject({ seqs: [6, 7], hasMore: true });
    });

    it.each(['%00', 'r%00x', 'r%01x', `r${'%1F'}`, '%7F', 'x'.repeat(65), '%E0%A4%A'])(
      'answers 400, never 500, to the room id %s',
      async (id) => {
        await expectError(await get(`/api/rooms/${id}/messages`, member.token), 400, 'BAD_REQUEST');
      },
    );

    it('answers 403 to a non-member, 404 to an unknown room, 401 without a token', async () => {
      await expectError(await get(`/api/rooms/${roomId}/messages`, outsider.token), 403, 'FORBIDDEN');
      await expectError(await get(`/api/rooms/${newRoomId()}/messages`, member.token), 404, 'NOT_FOUND');
      await expectError(await get(`/api/rooms/${roomId}/messages`), 401, 'UNAUTHORIZED');
    });
  });

  describe('errors and the rest of the surface', () => {
    it('answers 404 NOT_FOUND to an unknown route, in and out of /api', async () => {
      await expectError(await get('/api/nope'), 404, 'NOT_FOUND');
      await expectError(await get('/nope.html'), 404, 'NOT_FOUND');
      await expectError(await post('/api/rooms', {}), 404, 'NOT_FOUND');
    });

    it('serves health, readiness and metrics', async () => {
      const health = await get('/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const ready = await get('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, checks: { database: true, redis: true, storage: true, graphql: true } });

      await guest();
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/auth\/guest",status="200"\} \d+/);
      // Routes are labelled by pattern, never by raw path (ids would explode the label set).
      expect(text).toContain('route="/api/rooms/:id/messages"');
      expect(text).not.toMatch(/route="[^"]*\/r[a-z0-9]{16}/);
      expect(text).toContain('process_resident_memory_bytes');
    });

    it('tells the web client where the gateway is', async () => {
      const response = await get('/api/config');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ wsUrl: 'ws://127.0.0.1:8080/ws', guestLogin: true });

      const configured = await get('/api/config', undefined, noGuestsBase);
      expect(await configured.json()).toEqual({ wsUrl: 'wss://chat.example.com/ws', guestLogin: false });
    });

    it('serves the web client at /', async () => {
      const index = await get('/');
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await index.text()).toBe(WEB_INDEX);
      // Without a web folder, / is just an unknown route.
      await expectError(await get('/', undefined, noGuestsBase), 404, 'NOT_FOUND');
    });

    it('answers INTERNAL, logged, and is not ready when the database is gone', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const brokenDb = engine === 'postgres' ? await openDatabase({ url: testDb!.url }) : await openDatabase({ dataDir: 'memory' });
      const broken = await startApi(configFor(webDir), { db: brokenDb, logger: pino({ level: 'error' }, sink) });
      try {
        await brokenDb.close();
        const root = `http://127.0.0.1:${broken.port}`;
        const ready = await get('/readyz', undefined, root);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toEqual({ ready: false, checks: { database: false, redis: true, storage: true, graphql: true } });

        await expectError(await post('/api/auth/guest', { username: unique('lost') }, root), 500, 'INTERNAL');
        const logged = lines.map((line) => JSON.parse(line) as { msg: string; url?: string; err?: unknown });
        expect(logged).toContainEqual(expect.objectContaining({ msg: 'request failed', url: '/api/auth/guest', err: expect.anything() }));
      } finally {
        await broken.close();
      }
    });

    it('stores a guest as a user without a password', async () => {
      const session = await guest();
      expect(await new UserRepository(db).findById(session.user.id)).toEqual({ ...session.user, passwordHash: null });
    });
  });
});
