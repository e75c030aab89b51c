import Redis from 'ioredis';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { metricsRegistry } from '@chat/observability';
import { createRedis, Keys } from '@chat/redis';
import { sampleStreamGroups, watchStreamGroups } from '@chat/streams';

/** The operator's backlog numbers against a real redis-server: XINFO GROUPS lag and pending, XLEN of dead letters. */
describe('stream group metrics', () => {
  const STREAM = Keys.inStream(0);
  let server: RedisServerHandle;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('reports lag, pending and dead letters of the watched groups only', async () => {
    await redis.xgroup('CREATE', STREAM, 'messages', '$', 'MKSTREAM');
    await redis.xgroup('CREATE', STREAM, 'other', '$');
    for (let i = 0; i < 5; i++) await redis.xadd(STREAM, '*', 'i', String(i));
    await redis.xreadgroup('GROUP', 'messages', 'c1', 'COUNT', 2, 'STREAMS', STREAM, '>');
    await redis.xadd(Keys.deadLetters(STREAM), '*', 'dl.stream', STREAM, 'dl.error', 'boom');

    const sample = await sampleStreamGroups(redis, [
      { stream: STREAM, group: 'messages' },
      { stream: Keys.readsIn(), group: 'messages-reads' }, // never created: left out, not an error
    ]);
    expect(sample.groups).toEqual([{ stream: STREAM, group: 'messages', lag: 3, pending: 2 }]);
    expect(sample.deadLetters.get(STREAM)).toBe(1);
    expect(sample.deadLetters.get(Keys.readsIn())).toBe(0);
  });

  it('serves them as gauges on scrape until unwatched', async () => {
    const unwatch = watchStreamGroups(redis, [{ stream: STREAM, group: 'messages' }]);
    const text = await metricsRegistry.metrics();
    expect(text).toContain(`chat_stream_group_lag_entries{stream="${STREAM}",group="messages"} 3`);
    expect(text).toContain(`chat_stream_group_pending_entries{stream="${STREAM}",group="messages"} 2`);
    expect(text).toContain(`chat_stream_dead_letters{stream="${STREAM}"} 1`);
    unwatch();
    expect(await metricsRegistry.metrics()).not.toContain(`chat_stream_group_pending_entries{stream="${STREAM}"`);
  });

  it('leaves the backlog out, and answers the scrape, while Redis does not answer', async () => {
    // Commands queue while the connection is down (as the services' connections do).
    const away = createRedis('redis://127.0.0.1:1', 'metrics-test', { retryStrategy: () => 50 }, { warn: () => undefined });
    const unwatch = watchStreamGroups(away, [{ stream: STREAM, group: 'messages' }]);
    const started = Date.now();
    const text = await metricsRegistry.metrics();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(text).not.toContain('chat_stream_group_pending_entries{');
    unwatch();
    away.disconnect();
  });
});
