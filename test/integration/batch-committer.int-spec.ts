import Redis from 'ioredis';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { createRedis, Keys, ShardLease, StreamConsumer } from '@chat/redis';
import { FencedError, RedisBatchCommitter, ShardFence } from '@chat/streams';
import { waitFor } from '../support/wait-for';

/**
 * The fenced commit against a private redis-server: a batch's publishes, dead letters and
 * XACK go out together only while the lease still holds the committer's token.
 */
describe('RedisBatchCommitter', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let sub: Redis;
  const STREAM = Keys.inStream(7);
  const GROUP = 'messages';

  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedis(server.url, 'committer-test');
    sub = createRedis(server.url, 'committer-test-sub');
  });
  afterAll(async () => {
    redis?.disconnect();
    sub?.disconnect();
    await server?.stop();
  });
  beforeEach(() => redis.flushall());

  async function pendingEntries(count: number): Promise<string[]> {
    const consumer = new StreamConsumer(redis, STREAM, GROUP, 'c1');
    await consumer.ensureGroup();
    for (let i = 0; i < count; i++) await redis.xadd(STREAM, '*', 'f', `entry ${i}`);
    return (await consumer.readNew(count, 100)).map((e) => e.id);
  }

  async function fenceHeld(): Promise<ShardFence> {
    const lease = new ShardLease(redis, 'owner-a', 5000);
    const token = (await lease.acquire(7))!;
    return new ShardFence(7, token, 1, Keys.shardLease(7), 5000, 1000, Date.now());
  }

  it('publishes every effect in order, keeps dead letters, acknowledges and trims, in one step', async () => {
    const ids = await pendingEntries(3);
    const received: string[] = [];
    sub.on('message', (_channel: string, payload: string) => received.push(payload));
    await sub.subscribe('gw:test');
    const fence = await fenceHeld();

    await new RedisBatchCommitter(redis).commit({
      effects: [
        ['publish', 'gw:test', 'first'],
        ['sadd', Keys.userRooms('u1'), 'r1', 'r2'],
        ['publish', 'gw:test', 'second'],
      ],
      deadLetters: [{ stream: STREAM, id: ids[1], fields: ['f', 'entry 1'], error: '22003 integer out of range' }],
      ack: { stream: STREAM, group: GROUP, ids },
      fence,
    });

    await waitFor(() => received.length === 2, { what: 'both publishes' });
    expect(received).toEqual(['first', 'second']);
    expect(await redis.smembers(Keys.userRooms('u1'))).toEqual(expect.arrayContaining(['r1', 'r2']));
    expect(await redis.xpending(STREAM, GROUP)).toEqual([0, null, null, null]);
    const dead = await redis.xrange(Keys.deadLetters(STREAM), '-', '+');
    expect(dead).toHaveLength(1);
    const fields = dead[0][1];
    expect(fields.slice(0, 2)).toEqual(['f', 'entry 1']);
    expect(fields).toEqual(expect.arrayContaining(['dl.stream', STREAM, 'dl.id', ids[1], 'dl.error', '22003 integer out of range']));
  });

  it('refuses a former owner: nothing published, nothing acknowledged, the fence revoked', async () => {
    const ids = await pendingEntries(2);
    const fence = await fenceHeld();
    // The lease expired and another acquisition holds it now.
    await redis.set(Keys.shardLease(7), 'owner-b/abcdef', 'PX', 5000);

    await expect(
      new RedisBatchCommitter(redis).commit({
        effects: [['sadd', Keys.userRooms('u9'), 'r9']],
        ack: { stream: STREAM, group: GROUP, ids },
        fence,
      }),
    ).rejects.toBeInstanceOf(FencedError);

    expect(fence.valid).toBe(false);
    expect(await redis.exists(Keys.userRooms('u9'))).toBe(0);
    expect((await redis.xpending(STREAM, GROUP))[0]).toBe(2);
    expect(await redis.xlen(STREAM)).toBe(2);
  });

  it('commits without a fence (sweeps) and trims a many-reader stream by length', async () => {
    const ids = await pendingEntries(5);
    await new RedisBatchCommitter(redis).commit({ effects: [], ack: { stream: STREAM, group: GROUP, ids, maxLen: 100 } });
    expect(await redis.xpending(STREAM, GROUP)).toEqual([0, null, null, null]);
    expect(await redis.xlen(STREAM)).toBe(5);
  });
});
