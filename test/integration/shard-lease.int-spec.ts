import { Keys, ShardLease, createRedis } from '@chat/redis';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { waitFor } from '../support/wait-for';

/**
 * ShardLease against a private redis-server: one holder at a time, compare-and-set renew and
 * release, expiry, takeover, and the old holder finding out.
 */
describe('ShardLease', () => {
  let server: RedisServerHandle;
  let redisA: Redis;
  let redisB: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    // Each instance has its own connection, as two messages instances would.
    redisA = createRedis(server.url, 'lease-test-a');
    redisB = createRedis(server.url, 'lease-test-b');
  });

  afterAll(async () => {
    await Promise.all([redisA?.quit(), redisB?.quit()]);
    await server?.stop();
  });

  beforeEach(async () => {
    await redisA.flushall();
  });

  const SHARD = 3;

  it('acquires a free shard, stores a token of this acquisition under the shard key with the ttl', async () => {
    const a = new ShardLease(redisA, 'instance-a', 10_000);
    const token = await a.acquire(SHARD);
    expect(token).toMatch(/^instance-a\//);
    expect(await a.holderOf(SHARD)).toBe(token);
    expect(await redisA.get(Keys.shardLease(SHARD))).toBe(token);
    const pttl = await redisA.pttl(Keys.shardLease(SHARD));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });

  it('lets only one holder acquire a shard', async () => {
    const a = new ShardLease(redisA, 'instance-a', 10_000);
    const b = new ShardLease(redisB, 'instance-b', 10_000);
    const token = await a.acquire(SHARD);
    expect(token).not.toBeNull();
    expect(await b.acquire(SHARD)).toBeNull();
    // Acquiring again is not a renew: even the holder gets nothing.
    expect(await a.acquire(SHARD)).toBeNull();
    expect(await b.holderOf(SHARD)).toBe(token);
    // Other shards are independent.
    const other = await b.acquire(SHARD + 1);
    expect(other).toMatch(/^instance-b\//);
    expect(await a.holderOf(SHARD + 1)).toBe(other);
  });

  it('has exactly one winner when many race for a shard', async () => {
    const leases = Array.from({ length: 20 }, (_, i) => new ShardLease(i % 2 ? redisA : redisB, `racer-${i}`, 10_000));
    const won = await Promise.all(leases.map((l) => l.acquire(SHARD)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await redisA.get(Keys.shardLease(SHARD))).toBe(won.find(Boolean));
  });

  it('renews for the holding acquisition only', async () => {
    const a = new ShardLease(redisA, 'instance-a', 10_000);
    const b = new ShardLease(redisB, 'instance-b', 10_000);
    const token = (await a.acquire(SHARD))!;
    await redisA.pexpire(Keys.shardLease(SHARD), 2000);

    expect(await b.renew(SHARD, 'instance-b/whatever')).toBe(false);
    // The same instance with another acquisition's token is refused too.
    expect(await a.renew(SHARD, 'instance-a/0123456789ab')).toBe(false);
    expect(await redisA.pttl(Keys.shardLease(SHARD))).toBeLessThanOrEqual(2000);

    expect(await a.renew(SHARD, token)).toBe(true);
    expect(await redisA.pttl(Keys.shardLease(SHARD))).toBeGreaterThan(2000);
    expect(await a.holderOf(SHARD)).toBe(token);
  });

  it('does not renew a shard nobody holds', async () => {
    const a = new ShardLease(redisA, 'instance-a', 10_000);
    expect(await a.renew(SHARD, 'instance-a/x')).toBe(false);
    expect(await a.holderOf(SHARD)).toBeNull();
  });

  it('releases for the holding acquisition only, after which another can acquire', async () => {
    const a = new ShardLease(redisA, 'instance-a', 10_000);
    const b = new ShardLease(redisB, 'instance-b', 10_000);
    const token = (await a.acquire(SHARD))!;

    expect(await b.release(SHARD, 'instance-b/x')).toBe(false);
    expect(await a.holderOf(SHARD)).toBe(token);

    expect(await a.release(SHARD, token)).toBe(true);
    expect(await a.holderOf(SHARD)).toBeNull();
    expect(await a.release(SHARD, token)).toBe(false);

    const next = await b.acquire(SHARD);
    expect(await a.holderOf(SHARD)).toBe(next);
  });

  it('expires after ttl when not renewed; then another takes over and the old holder cannot renew or release', async () => {
    const ttlMs = 300;
    const a = new ShardLease(redisA, 'instance-a', ttlMs);
    const b = new ShardLease(redisB, 'instance-b', 10_000);

    const start = Date.now();
    const old = (await a.acquire(SHARD))!;
    expect(await b.acquire(SHARD)).toBeNull();

    await waitFor(async () => (await b.holderOf(SHARD)) === null, { what: 'the 300 ms lease to expire', timeoutMs: 5000, intervalMs: 20 });
    // It expired because of the ttl, not earlier.
    expect(Date.now() - start).toBeGreaterThanOrEqual(ttlMs - 10);

    const next = await b.acquire(SHARD);
    expect(next).not.toBeNull();

    // The old holder (paused too long) learns it lost the lease and cannot touch the new one.
    expect(await a.renew(SHARD, old)).toBe(false);
    expect(await a.release(SHARD, old)).toBe(false);
    expect(await a.acquire(SHARD)).toBeNull();
    expect(await b.holderOf(SHARD)).toBe(next);
    expect(await redisA.pttl(Keys.shardLease(SHARD))).toBeGreaterThan(ttlMs);
  });

  it('keeps a lease alive while it is renewed within the ttl', async () => {
    const ttlMs = 1000;
    const a = new ShardLease(redisA, 'instance-a', ttlMs);
    const b = new ShardLease(redisB, 'instance-b', ttlMs);
    const token = (await a.acquire(SHARD))!;
    // A renewer ticking every ttl/10 for 2.5 ttls: b never gets in. (A periodic renewer is the
    // thing under test here, so this loop waits on time, not on an event; the 10× margin
    // keeps it safe on a loaded machine.)
    for (let tick = 0; tick < 25; tick++) {
      await sleep(ttlMs / 10);
      expect(await a.renew(SHARD, token)).toBe(true);
      expect(await b.acquire(SHARD)).toBeNull();
    }
    expect(await b.holderOf(SHARD)).toBe(token);
  });
});
