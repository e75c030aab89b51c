import { Client } from 'pg';
import { createConnection } from 'node:net';
import { freePort } from '@chat/devstack';
import { createTestDatabase } from '../support/postgres';
import { startRedisServer } from '@chat/devstack';
import { waitFor } from '../support/wait-for';
import { createRedis } from '@chat/redis';

/** True when nothing accepts connections on 127.0.0.1:port. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** The test helpers everyone builds on: they must do what they say. */
describe('test/support', () => {
  describe('freePort', () => {
    it('returns a port nothing listens on', async () => {
      const port = await freePort();
      expect(port).toBeGreaterThan(0);
      expect(port).toBeLessThan(65536);
      expect(await refused(port)).toBe(true);
    });
  });

  describe('waitFor', () => {
    it('resolves with the first value that holds', async () => {
      let calls = 0;
      const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { what: 'three calls', intervalMs: 1 });
      expect(value).toEqual({ calls: 3 });
    });

    it('treats false and throws as "not yet", and accepts 0 and ""', async () => {
      let calls = 0;
      await expect(
        waitFor(
          () => {
            calls++;
            if (calls === 1) return false;
            if (calls === 2) throw new Error('not ready');
            return 0;
          },
          { what: 'zero', intervalMs: 1 },
        ),
      ).resolves.toBe(0);
      await expect(waitFor(async () => '', { what: 'empty string' })).resolves.toBe('');
    });

    it('fails after the deadline with a message naming what it waited for and the last error', async () => {
      await expect(waitFor(() => false, { what: 'the moon', timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(
        /timed out after 50 ms .*waiting for the moon/,
      );
      await expect(
        waitFor(
          () => {
            throw new Error('boom');
          },
          { what: 'a thrower', timeoutMs: 30, intervalMs: 10 },
        ),
      ).rejects.toThrow(/waiting for a thrower \(last probe threw: boom\)/);
    });
  });

  describe('startRedisServer', () => {
    it('starts a private server that answers at once, and stops it', async () => {
      const server = await startRedisServer();
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(server.port).not.toBe(6379);
      const redis = createRedis(server.url, 'support-test');
      expect(await redis.ping()).toBe('PONG');
      await redis.set('k', 'v');
      // No persistence.
      expect(await redis.config('GET', 'save')).toEqual(['save', '']);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      redis.disconnect();

      await server.stop();
      await server.stop();
      expect(await refused(server.port)).toBe(true);
    });

    it('runs several servers side by side', async () => {
      const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
      try {
        expect(a.port).not.toBe(b.port);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });

    it('can be killed like a crash, then reaped with stop()', async () => {
      const server = await startRedisServer();
      const socket = createConnection({ host: '127.0.0.1', port: server.port });
      await new Promise((resolve) => socket.once('connect', resolve));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.on('error', () => undefined);
      server.kill();
      await closed;
      await server.stop();
      expect(await refused(server.port)).toBe(true);
    });
  });

  describe('createTestDatabase', () => {
    it('creates a fresh database and drops it even while connections are open', async () => {
      const database = await createTestDatabase('support');
      expect(database.url).toMatch(/\/support_[0-9a-f]{12}$/);
      const client = new Client({ connectionString: database.url });
      client.on('error', () => undefined);
      await client.connect();
      const [{ name }] = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows;
      expect(database.url.endsWith(`/${name}`)).toBe(true);
      expect((await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'`)).rows).toEqual([]);

      await database.drop();
      await database.drop();
      await client.end().catch(() => undefined);
      const again = new Client({ connectionString: database.url });
      await expect(again.connect()).rejects.toThrow(/does not exist/);
      await again.end().catch(() => undefined);
    });

    it('refuses a prefix that is not a plain identifier', async () => {
      await expect(createTestDatabase('bad-name"; DROP')).rejects.toThrow(/prefix/);
    });
  });
});
