import { StreamConsumer, StreamEntry, createRedis } from '@chat/redis';
import Redis from 'ioredis';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { waitFor } from '../support/wait-for';

/**
 * StreamConsumer against a private redis-server: group creation, batched reads, takeover of
 * what a dead consumer left pending, acknowledgement and trimming, consumer cleanup.
 */
describe('StreamConsumer', () => {
  const STREAM = 'test:in:{0}';
  const GROUP = 'messages';

  let server: RedisServerHandle;
  /** For XADD and inspection. */
  let admin: Redis;
  /** Every consumer gets its own connection (blocking reads hold it); closed after each test. */
  let connections: Redis[] = [];

  const connection = (name: string): Redis => {
    const redis = createRedis(server.url, name);
    connections.push(redis);
    return redis;
  };
  const consumer = (name: string) => new StreamConsumer(connection(`consumer-${name}`), STREAM, GROUP, name);

  /** Appends `n` entries `i=<k>` (k from `from`) and returns their ids in order. */
  async function add(n: number, from = 0): Promise<string[]> {
    const pipeline = admin.pipeline();
    for (let k = from; k < from + n; k++) pipeline.xadd(STREAM, '*', 'i', String(k));
    const results = (await pipeline.exec())!;
    return results.map(([err, id]) => {
      if (err) throw err;
      return id as string;
    });
  }

  /** XPENDING extended form: [id, consumer] of every pending entry, oldest first. */
  async function pending(): Promise<{ id: string; consumer: string; deliveries: number }[]> {
    const rows = (await admin.xpending(STREAM, GROUP, '-', '+', 10_000)) as [string, string, number, number][];
    return rows.map(([id, owner, , deliveries]) => ({ id, consumer: owner, deliveries }));
  }

  async function consumerNames(): Promise<string[]> {
    const rows = (await admin.xinfo('CONSUMERS', STREAM, GROUP)) as unknown[][];
    return rows.map((row) => String(row[row.indexOf('name') + 1])).sort();
  }

  /** Drains claimPending page by page, as a new shard owner does. */
  async function claimAll(c: StreamConsumer, pageSize: number): Promise<{ entries: StreamEntry[]; pages: number }> {
    const entries: StreamEntry[] = [];
    let cursor = '0-0';
    let pages = 0;
    do {
      const page = await c.claimPending(pageSize, cursor);
      expect(page.entries.length).toBeLessThanOrEqual(pageSize);
      entries.push(...page.entries);
      cursor = page.next;
      pages++;
      if (pages > 1000) throw new Error('claimPending never returned cursor 0-0');
    } while (cursor !== '0-0');
    return { entries, pages };
  }

  const values = (entries: StreamEntry[]) => entries.map((e) => e.fields);

  beforeAll(async () => {
    server = await startRedisServer();
    admin = createRedis(server.url, 'stream-test-admin');
  });

  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  beforeEach(async () => {
    await admin.flushall();
  });

  afterEach(async () => {
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    connections = [];
  });

  describe('ensureGroup', () => {
    it('creates stream and group, and is idempotent', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      await a.ensureGroup();
      await consumer('b').ensureGroup();
      expect(await admin.xlen(STREAM)).toBe(0);
      const groups = (await admin.xinfo('GROUPS', STREAM)) as unknown[][];
      expect(groups).toHaveLength(1);
      expect(groups[0][groups[0].indexOf('name') + 1]).toBe(GROUP);
    });

    it('reads the stream from the start: entries added before the group are delivered', async () => {
      const ids = await add(3);
      const a = consumer('a');
      await a.ensureGroup();
      expect((await a.readNew(10, 100)).map((e) => e.id)).toEqual(ids);
    });

    it('does not swallow other errors', async () => {
      await admin.set(STREAM, 'not a stream');
      await expect(consumer('a').ensureGroup()).rejects.toThrow(/WRONGTYPE/);
    });
  });

  describe('readNew', () => {
    it('returns new entries in order, in batches of at most COUNT, and [] once drained', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      const ids = await add(25);

      const first = await a.readNew(10, 100);
      const second = await a.readNew(10, 100);
      const third = await a.readNew(10, 100);
      expect([first.length, second.length, third.length]).toEqual([10, 10, 5]);
      expect([...first, ...second, ...third].map((e) => e.id)).toEqual(ids);
      expect(values(first)[0]).toEqual(['i', '0']);
      expect(values(third)[4]).toEqual(['i', '24']);

      // Nothing new: waits blockMs, then returns empty.
      expect(await a.readNew(10, 50)).toEqual([]);
    });

    it('shares new entries between consumers of the group: each entry goes to one of them', async () => {
      const a = consumer('a');
      const b = consumer('b');
      await a.ensureGroup();
      const ids = await add(8);
      const fromA = await a.readNew(5, 100);
      const fromB = await b.readNew(5, 100);
      expect([...fromA, ...fromB].map((e) => e.id)).toEqual(ids);
    });

    it('blocks until an entry arrives', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      const read = a.readNew(10, 10_000);
      // The read is parked in Redis: wait for it to be blocked before adding (an event, not a sleep).
      await waitUntilBlocked();
      const [id] = await add(1, 7);
      expect(await read).toEqual([{ id, fields: ['i', '7'] }]);
    });

    /** Resolves when some client is blocked in XREADGROUP (INFO clients: blocked_clients). */
    async function waitUntilBlocked(): Promise<void> {
      await waitFor(async () => /blocked_clients:[1-9]/.test(await admin.info('clients')), {
        what: 'the reader to block in XREADGROUP',
        intervalMs: 5,
      });
    }
  });

  describe('claimPending', () => {
    it('takes over everything a dead consumer read and never acknowledged, oldest first, across cursor pages', async () => {
      const deadConnection = createRedis(server.url, 'consumer-dead');
      const dead = new StreamConsumer(deadConnection, STREAM, GROUP, 'dead');
      await dead.ensureGroup();
      const ids = await add(25);
      // It read everything in three batches, then died before acknowledging anything.
      for (let i = 0; i < 3; i++) await dead.readNew(10, 100);
      expect((await pending()).map((p) => p.consumer)).toEqual(new Array(25).fill('dead'));
      deadConnection.disconnect();

      const heir = consumer('heir');
      const { entries, pages } = await claimAll(heir, 7);
      expect(entries.map((e) => e.id)).toEqual(ids);
      expect(values(entries)).toEqual(ids.map((_, k) => ['i', String(k)]));
      expect(pages).toBeGreaterThanOrEqual(4);

      const after = await pending();
      expect(after.map((p) => p.id)).toEqual(ids);
      expect(after.every((p) => p.consumer === 'heir')).toBe(true);
      expect(after.every((p) => p.deliveries === 2)).toBe(true);
      // New entries are not pending: claimPending does not hand them out.
      await add(2, 100);
      expect((await claimAll(heir, 100)).entries.map((e) => e.id)).toEqual(ids);
    });

    it('returns nothing when nothing is pending', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      await add(3);
      expect(await a.claimPending(10)).toEqual({ entries: [], next: '0-0' });
    });

    it('skips pending entries that were deleted from the stream', async () => {
      const dead = consumer('dead');
      await dead.ensureGroup();
      const ids = await add(5);
      await dead.readNew(10, 100);
      await admin.xdel(STREAM, ids[2]);
      const { entries } = await claimAll(consumer('heir'), 10);
      expect(entries.map((e) => e.id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
      expect(entries.every((e) => Array.isArray(e.fields) && e.fields.length === 2)).toBe(true);
    });
  });

  describe('ack', () => {
    it('removes acknowledged entries from the PEL and only those', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      const ids = await add(25);
      const batch = await a.readNew(25, 100);
      await a.ack(batch.slice(0, 10).map((e) => e.id));
      expect((await pending()).map((p) => p.id)).toEqual(ids.slice(10));
      await a.ack(batch.slice(10).map((e) => e.id));
      expect(await pending()).toEqual([]);
      const summary = (await admin.xpending(STREAM, GROUP)) as [number, ...unknown[]];
      expect(summary[0]).toBe(0);
    });

    it('trims the stream below the acknowledged batch', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      // Trimming is approximate (whole radix-tree nodes), so fill a few nodes of 100 entries.
      await admin.config('SET', 'stream-node-max-entries', '100');
      const ids = await add(350);
      for (let done = 0; done < 350; ) {
        const batch = await a.readNew(100, 100);
        await a.ack(batch.map((e) => e.id));
        done += batch.length;
      }
      expect(await pending()).toEqual([]);
      const left = await admin.xlen(STREAM);
      expect(left).toBeLessThan(350);
      expect(left).toBeGreaterThan(0);
      // What is left is the newest entries, the last acknowledged one included: nothing newer is lost.
      const remaining = (await admin.xrange(STREAM, '-', '+')).map(([id]) => id);
      expect(remaining).toEqual(ids.slice(350 - left));
    });

    it('does nothing for an empty batch', async () => {
      const a = consumer('a');
      await a.ensureGroup();
      await add(3);
      await a.readNew(3, 100);
      await a.ack([]);
      expect(await pending()).toHaveLength(3);
      expect(await admin.xlen(STREAM)).toBe(3);
    });
  });

  describe('forgetIdleConsumers', () => {
    it('removes other consumers with nothing pending, keeps itself and those holding entries', async () => {
      const self = consumer('self');
      const idle = consumer('idle');
      const busy = consumer('busy');
      await self.ensureGroup();
      await add(4);
      const idleBatch = await idle.readNew(2, 100);
      await busy.readNew(2, 100);
      await idle.ack(idleBatch.map((e) => e.id));
      // `self` has read nothing yet: make it a member of the group explicitly.
      await admin.xgroup('CREATECONSUMER', STREAM, GROUP, 'self');
      expect(await consumerNames()).toEqual(['busy', 'idle', 'self']);

      await self.forgetIdleConsumers();
      expect(await consumerNames()).toEqual(['busy', 'self']);
      expect((await pending()).map((p) => p.consumer)).toEqual(['busy', 'busy']);

      // Once its entries are claimed, the dead consumer goes too.
      await claimAll(self, 10);
      await self.forgetIdleConsumers();
      expect(await consumerNames()).toEqual(['self']);
    });
  });
});
