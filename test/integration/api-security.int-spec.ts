import { startApi } from '../../apps/api/src/api.app';
import { parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { createLogger } from '@chat/observability';
import { decodeDelivery } from '@chat/protocol';
import { Channels, createRedis, Keys } from '@chat/redis';
import { Database, openDatabase } from '@chat/store';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The api's defences over real HTTP, against a private redis-server: token refresh and
 * "log out everywhere", the auth throttles (429 + Retry-After), security headers and CORS.
 * One database engine is enough here (the use cases are engine-independent): PGlite.
 */

const logger = createLogger('api', 'silent');

interface Session {
  token: string;
  user: { id: string; username: string };
}
interface Api {
  port: number;
  close(): Promise<void>;
}

describe('api security', () => {
  let redisServer: RedisServerHandle;
  let redis: Redis;
  let db: Database;
  let webDir: string;
  const apis: Api[] = [];
  let seq = 0;
  const unique = (prefix: string) => `${prefix}${++seq}_${Date.now().toString(36).slice(-4)}`;

  async function api(env: Record<string, string> = {}): Promise<string> {
    const config = parseConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      API_PORT: '0',
      GATEWAY_PORT: '8080',
      // Nothing under ./data: the database is handed in, and VAPID keys stay in memory.
      DATA_DIR: 'memory',
      LOG_LEVEL: 'silent',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      REDIS_URL: redisServer.url,
      WEB_DIR: webDir,
      ...env,
    });
    const started = await startApi(config, { db, logger });
    apis.push(started);
    return `http://127.0.0.1:${started.port}`;
  }

  const post = (root: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${root}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function session(response: Response): Promise<Session> {
    expect(response.status).toBe(200);
    return (await response.json()) as Session;
  }

  /** A 429 as PROTOCOL.md and the brief want it: Retry-After in seconds, retryAfterMs in the body. */
  async function expectRateLimited(response: Response): Promise<number> {
    const body = (await response.json()) as { error: { code: string; message: string; retryAfterMs: number } };
    expect({ status: response.status, body }).toEqual({
      status: 429,
      body: { error: { code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: expect.any(Number) } },
    });
    expect(body.error.retryAfterMs).toBeGreaterThan(0);
    expect(response.headers.get('retry-after')).toBe(String(Math.ceil(body.error.retryAfterMs / 1000)));
    return body.error.retryAfterMs;
  }

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = createRedis(redisServer.url, 'api-security-test');
    db = await openDatabase({ dataDir: 'memory' });
    webDir = mkdtempSync(join(tmpdir(), 'api-web-'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>t</title>');
  });

  afterAll(async () => {
    await Promise.all(apis.map((a) => a.close()));
    redis?.disconnect();
    await db?.close();
    await redisServer?.stop();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  describe('token lifetime', () => {
    let base: string;
    beforeAll(async () => (base = await api()));

    it('POST /api/auth/refresh gives a valid token a new one, same shape as login', async () => {
      const first = await session(await post(base, '/api/auth/guest', { username: unique('ref') }));
      const refreshed = await session(await post(base, '/api/auth/refresh', {}, bearer(first.token)));
      expect(Object.keys(refreshed).sort()).toEqual(['token', 'user']);
      expect(refreshed.user).toEqual(first.user);
      expect((await fetch(`${base}/api/rooms`, { headers: bearer(refreshed.token) })).status).toBe(200);

      expect((await post(base, '/api/auth/refresh', {})).status).toBe(401);
      expect((await post(base, '/api/auth/refresh', {}, bearer('not.a.jwt'))).status).toBe(401);
    });

    it('POST /api/auth/logout-all voids every earlier token, closes the sockets, and later logins work', async () => {
      const name = unique('out');
      const registered = await session(await post(base, '/api/auth/register', { username: name, password: 'long enough pw' }));
      const second = await session(await post(base, '/api/auth/login', { username: name, password: 'long enough pw' }));

      const subscriber = createRedis(redisServer.url, 'logout-all-listener');
      try {
        await subscriber.subscribe(Channels.user(registered.user.id));
        const published = new Promise<string>((resolve) => subscriber.once('message', (_channel: string, payload: string) => resolve(payload)));
        const before = Date.now();
        const response = await post(base, '/api/auth/logout-all', {}, bearer(second.token));
        expect(response.status).toBe(200);
        expect(decodeDelivery(await published).header).toEqual({ close: { code: 4001, reason: 'token revoked' } });
        const revokedAt = Number(await redis.get(Keys.tokensRevokedBefore(registered.user.id)));
        expect(revokedAt).toBeGreaterThanOrEqual(before);
        expect(await redis.pttl(Keys.tokensRevokedBefore(registered.user.id))).toBeGreaterThan(0);
      } finally {
        subscriber.disconnect();
      }

      for (const old of [registered.token, second.token]) {
        expect((await fetch(`${base}/api/rooms`, { headers: bearer(old) })).status).toBe(401);
        expect((await post(base, '/api/auth/refresh', {}, bearer(old))).status).toBe(401);
        expect((await post(base, '/api/auth/logout-all', {}, bearer(old))).status).toBe(401);
      }
      // Logging in right after (possibly within the same second) gives a token that works.
      const fresh = await session(await post(base, '/api/auth/login', { username: name, password: 'long enough pw' }));
      expect((await fetch(`${base}/api/rooms`, { headers: bearer(fresh.token) })).status).toBe(200);
    });

    it("a revoked guest token no longer proves the guest's name", async () => {
      const name = unique('gone');
      const first = await session(await post(base, '/api/auth/guest', { username: name }));
      expect((await post(base, '/api/auth/logout-all', {}, bearer(first.token))).status).toBe(200);
      expect((await post(base, '/api/auth/guest', { username: name, token: first.token })).status).toBe(409);
    });
  });

  describe('throttles', () => {
    it('locks an account after too many wrong passwords, even for the right one, from any address', async () => {
      // TRUST_PROXY: each request claims its own address, so only the account limit can trip.
      const base = await api({ TRUST_PROXY: 'true', AUTH_LOGIN_FAILURES_PER_ACCOUNT: '3', AUTH_LOGIN_FAILURES_PER_ADDRESS: '1000' });
      const name = unique('victim');
      await session(await post(base, '/api/auth/register', { username: name, password: 'the right one' }));
      const from = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}` });
      for (let i = 1; i <= 3; i++) {
        expect((await post(base, '/api/auth/login', { username: name, password: `wrong ${i}` }, from(i))).status).toBe(401);
      }
      // Any case of the name is the same account.
      await expectRateLimited(await post(base, '/api/auth/login', { username: name.toUpperCase(), password: 'wrong 4' }, from(4)));
      const retryAfterMs = await expectRateLimited(await post(base, '/api/auth/login', { username: name, password: 'the right one' }, from(5)));
      expect(retryAfterMs).toBeLessThanOrEqual(15 * 60_000);
      // Another account is not affected.
      const other = unique('bystander');
      await session(await post(base, '/api/auth/register', { username: other, password: 'the right one' }, from(6)));
      await session(await post(base, '/api/auth/login', { username: other, password: 'the right one' }, from(7)));
    });

    it('forgives the failures of an account once its password is given', async () => {
      const base = await api({ TRUST_PROXY: 'true', AUTH_LOGIN_FAILURES_PER_ACCOUNT: '3', AUTH_LOGIN_FAILURES_PER_ADDRESS: '1000' });
      const name = unique('typo');
      await session(await post(base, '/api/auth/register', { username: name, password: 'the right one' }));
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) expect((await post(base, '/api/auth/login', { username: name, password: 'typo' })).status).toBe(401);
        await session(await post(base, '/api/auth/login', { username: name, password: 'the right one' }));
      }
    });

    it('limits failed logins per client address across accounts', async () => {
      const base = await api({ TRUST_PROXY: 'true', AUTH_LOGIN_FAILURES_PER_ACCOUNT: '1000', AUTH_LOGIN_FAILURES_PER_ADDRESS: '4' });
      const attacker = { 'x-forwarded-for': '198.51.100.7' };
      for (let i = 0; i < 4; i++) {
        expect((await post(base, '/api/auth/login', { username: unique('spray'), password: 'password1' }, attacker)).status).toBe(401);
      }
      await expectRateLimited(await post(base, '/api/auth/login', { username: unique('spray'), password: 'password1' }, attacker));
      // Someone else is not.
      expect((await post(base, '/api/auth/login', { username: unique('spray'), password: 'password1' }, { 'x-forwarded-for': '198.51.100.8' })).status).toBe(401);
    });

    it('limits guest logins and registrations per client address', async () => {
      const base = await api({ TRUST_PROXY: 'true', AUTH_SIGNUPS_PER_ADDRESS: '3' });
      const farm = { 'x-forwarded-for': '192.0.2.50' };
      await session(await post(base, '/api/auth/guest', { username: unique('farm') }, farm));
      await session(await post(base, '/api/auth/register', { username: unique('farm'), password: 'long enough pw' }, farm));
      await session(await post(base, '/api/auth/guest', { username: unique('farm') }, farm));
      await expectRateLimited(await post(base, '/api/auth/guest', { username: unique('farm') }, farm));
      await expectRateLimited(await post(base, '/api/auth/register', { username: unique('farm'), password: 'long enough pw' }, farm));
      await session(await post(base, '/api/auth/guest', { username: unique('farm') }, { 'x-forwarded-for': '192.0.2.51' }));
    });

    it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
      // Its own Redis database: the other instances count 127.0.0.1 too.
      const base = await api({ REDIS_URL: `${redisServer.url}/3`, AUTH_SIGNUPS_PER_ADDRESS: '2' });
      for (let i = 0; i < 2; i++) {
        await session(await post(base, '/api/auth/guest', { username: unique('spoof') }, { 'x-forwarded-for': `192.0.2.${100 + i}` }));
      }
      await expectRateLimited(await post(base, '/api/auth/guest', { username: unique('spoof') }, { 'x-forwarded-for': '192.0.2.200' }));
    });
  });

  describe('headers', () => {
    it('sends security headers with the web client and every api answer, the CSP allowing the WebSocket', async () => {
      const base = await api({ PUBLIC_WS_URL: 'wss://chat.example.com/ws' });
      for (const path of ['/', '/api/config', '/api/nope', '/healthz']) {
        const response = await fetch(`${base}${path}`);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toMatch(/connect-src 'self' wss:\/\/chat\.example\.com\/ws(;|$)/);
        expect(csp).not.toContain('unsafe-inline');
      }
      // Without PUBLIC_WS_URL, the gateway the client is told about (same host, gateway port).
      const local = await api();
      const csp = (await fetch(`${local}/`)).headers.get('content-security-policy') ?? '';
      expect(csp).toContain("connect-src 'self' ws://127.0.0.1:8080/ws");
    });

    it('answers no CORS headers by default (same origin only)', async () => {
      const base = await api();
      const response = await fetch(`${base}/api/config`, { headers: { origin: 'https://elsewhere.example' } });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${base}/api/auth/guest`, {
        method: 'OPTIONS',
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows exactly the origins of CORS_ORIGINS', async () => {
      const base = await api({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' });
      const allowed = await fetch(`${base}/api/config`, { headers: { origin: 'https://app.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const preflight = await fetch(`${base}/api/rooms`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const denied = await fetch(`${base}/api/config`, { headers: { origin: 'https://evil.example' } });
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
