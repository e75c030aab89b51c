import Redis from 'ioredis';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MicroserviceOptions, Payload } from '@nestjs/microservices';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { createLogger } from '@chat/observability';
import { ChatEventOf } from '@chat/protocol';
import { createRedis, Groups, Keys } from '@chat/redis';
import { RedisStreamContext, RedisStreamsServer, streamContext, StreamEventErrorFilter } from '@chat/stream-transport';
import { deferred, Deferred } from '../support/deferred';
import { waitFor } from '../support/wait-for';

const logger = createLogger('stream-transport-test', process.env.TEST_LOG ?? 'silent');
const STREAMS = [Keys.eventStream(0), Keys.eventStream(1)];

/** What every consumer of the test saw: one shared log, so "exactly once" spans replicas. */
class Seen {
  readonly events: { consumer: string; text: string; stream: string; id: string }[] = [];
  /** Text → a gate its handler waits on before resolving (a consumer "mid-stream"). */
  readonly gates = new Map<string, Deferred<void>>();
  readonly arrived = new Map<string, Deferred<void>>();
  transientFailures = 0;
}

const seen = new Seen();

@Controller()
class MessagesController {
  @EventPattern('message.created')
  async created(@Payload() data: ChatEventOf<'message.created'>, @Ctx() raw: unknown): Promise<void> {
    const ctx = streamContext(raw);
    const text = data.message.text;
    seen.arrived.get(text)?.resolve();
    await seen.gates.get(text)?.promise;
    seen.events.push({ consumer: consumerOf.get(ctx) ?? '?', text, stream: ctx.getStream(), id: ctx.getId() });
  }

  /** Fails like a database that went away, then works: through Nest, the error must stay transient. */
  @EventPattern('message.deleted')
  async deleted(@Payload() data: ChatEventOf<'message.deleted'>): Promise<void> {
    if (seen.transientFailures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    seen.events.push({ consumer: '?', text: `deleted ${data.id}`, stream: '', id: '' });
  }

  /** Fails on its own: dead letter, and the stream goes on. */
  @EventPattern('member.left')
  async left(@Payload() _data: ChatEventOf<'member.left'>): Promise<void> {
    throw Object.assign(new Error('index refused the document'), { code: 'E_INDEX' });
  }
}

const consumerOf = new WeakMap<RedisStreamContext, string>();

@Module({ controllers: [MessagesController] })
class SearchLikeModule {}

describe('RedisStreamsServer (Nest microservice on chat:events)', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  const apps: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedis(server.url, 'transport-test');
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
    redis?.disconnect();
    await server?.stop();
  });

  beforeEach(() => {
    seen.events.length = 0;
    seen.gates.clear();
    seen.arrived.clear();
  });

  async function startConsumer(consumer: string, options: { claimIdleMs?: number; batchSize?: number } = {}) {
    const strategy = new RedisStreamsServer({
      redisUrl: server.url,
      streams: STREAMS,
      group: Groups.search,
      consumer,
      blockMs: 200,
      claimIdleMs: options.claimIdleMs ?? 30_000,
      batchSize: options.batchSize ?? 10,
      logger,
    });
    // Which replica handled what: the context carries no consumer name, the server does.
    const original = strategy.handleEvent.bind(strategy);
    strategy.handleEvent = (pattern, packet, ctx) => {
      consumerOf.set(ctx as RedisStreamContext, consumer);
      return original(pattern, packet, ctx as RedisStreamContext);
    };
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(SearchLikeModule, { strategy, logger: false });
    app.useGlobalFilters(new StreamEventErrorFilter());
    await app.listen();
    apps.push(app);
    return app;
  }

  const message = (roomId: string, seq: number, text: string) => ({
    id: `${roomId}:${seq}`,
    roomId,
    seq,
    author: { id: 'u1', username: 'alice' },
    text,
    createdAt: new Date().toISOString(),
    reactions: [],
    attachments: [],
  });

  const append = (stream: string, text: string, seq: number) =>
    redis.xadd(stream, '*', 'type', 'message.created', 'data', JSON.stringify({ message: message('r1', seq, text) }), 't', String(Date.now()));

  const pendingOf = async (stream: string) => Number(((await redis.xpending(stream, Groups.search)) as [number])[0]);

  it('hands every appended event to the @EventPattern handler once, in each stream’s order, and acknowledges it', async () => {
    const app = await startConsumer('solo');
    for (let i = 1; i <= 5; i++) await append(STREAMS[i % 2], `one-${i}`, i);
    // Events of a type nothing handles, and a bad entry, are acknowledged without stopping the stream.
    await redis.xadd(STREAMS[0], '*', 'type', 'member.joined', 'data', '{"roomId":"r1","userId":"u2"}', 't', '1');
    const bad = await redis.xadd(STREAMS[0], '*', 'type', 'message.created', 'data', '{"message":{}}', 't', '1');
    await append(STREAMS[0], 'one-6', 6);
    await waitFor(() => seen.events.length === 6, { what: 'six events handled' });
    expect(seen.events.filter((e) => e.stream === STREAMS[0]).map((e) => e.text)).toEqual(['one-2', 'one-4', 'one-6']);
    expect(seen.events.filter((e) => e.stream === STREAMS[1]).map((e) => e.text)).toEqual(['one-1', 'one-3', 'one-5']);
    await waitFor(async () => (await pendingOf(STREAMS[0])) === 0 && (await pendingOf(STREAMS[1])) === 0, { what: 'every entry acknowledged' });
    const dead = (await redis.xrange(Keys.deadLetters(STREAMS[0]), '-', '+')) as [string, string[]][];
    expect(dead.map(([, f]) => f[f.indexOf('dl.id') + 1])).toEqual([bad]);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
  });

  it('through Nest, a transient handler error is retried and any other is dead-lettered', async () => {
    const app = await startConsumer('errors');
    seen.transientFailures = 2;
    const left = await redis.xadd(STREAMS[1], '*', 'type', 'member.left', 'data', '{"roomId":"r1","userId":"u2","reason":"left"}', 't', '1');
    await redis.xadd(STREAMS[1], '*', 'type', 'message.deleted', 'data', '{"roomId":"r1","seq":1,"id":"r1:1"}', 't', '1');
    await waitFor(() => seen.events.length === 1, { what: 'the delete handled after two transient failures' });
    expect(seen.transientFailures).toBe(-1);
    await waitFor(async () => (await pendingOf(STREAMS[1])) === 0, { what: 'both acknowledged' });
    const dead = (await redis.xrange(Keys.deadLetters(STREAMS[1]), '-', '+')) as [string, string[]][];
    expect(dead.map(([, f]) => [f[f.indexOf('dl.id') + 1], f[f.indexOf('dl.error') + 1]])).toEqual([[left, 'E_INDEX index refused the document']]);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
  });

  it('a replica closed mid-stream leaves its pending entries to the other, which claims them: each handled once', async () => {
    const a = await startConsumer('replica-a', { claimIdleMs: 300, batchSize: 10 });
    // replica-a takes the whole burst in one batch and is stopped while handling its first entry.
    const gate = deferred<void>();
    const arrived = deferred<void>();
    seen.gates.set('two-1', gate);
    seen.arrived.set('two-1', arrived);
    for (let i = 1; i <= 4; i++) await append(STREAMS[0], `two-${i}`, 100 + i);
    await arrived.promise;
    const b = await startConsumer('replica-b', { claimIdleMs: 300 });
    const closing = a.close();
    gate.resolve();
    await closing;
    apps.splice(apps.indexOf(a), 1);

    await waitFor(() => seen.events.length === 4, { what: 'the other replica to claim what replica-a left', timeoutMs: 10_000 });
    expect(seen.events.map((e) => [e.text, e.consumer])).toEqual([
      ['two-1', 'replica-a'],
      ['two-2', 'replica-b'],
      ['two-3', 'replica-b'],
      ['two-4', 'replica-b'],
    ]);
    await waitFor(async () => (await pendingOf(STREAMS[0])) === 0, { what: 'every entry acknowledged' });
    await b.close();
    apps.splice(apps.indexOf(b), 1);
  });

  it('a restarted consumer resumes from where the group stopped, nothing handled twice', async () => {
    const first = await startConsumer('restarting');
    await append(STREAMS[1], 'three-1', 201);
    await waitFor(() => seen.events.length === 1, { what: 'the first event' });
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    // Appended while nobody consumes: the group keeps its position in Redis.
    await append(STREAMS[1], 'three-2', 202);
    await append(STREAMS[1], 'three-3', 203);
    const again = await startConsumer('restarting');
    await waitFor(() => seen.events.length === 3, { what: 'the events appended while it was down' });
    expect(seen.events.map((e) => e.text)).toEqual(['three-1', 'three-2', 'three-3']);
    await again.close();
    apps.splice(apps.indexOf(again), 1);
  });
});
