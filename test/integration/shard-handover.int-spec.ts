import Redis from 'ioredis';
import { parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { MessagesService } from '@chat/messaging';
import { createLogger } from '@chat/observability';
import { decodeDelivery, decodeRoomEvent, envelopeFields, newRoomId, newUserId } from '@chat/protocol';
import { Channels, createRedis, Keys } from '@chat/redis';
import { Database, migrate, PgDatabase, RoomRepository, UserRepository } from '@chat/store';
import { deferred } from '../support/deferred';
import { PausingDatabase } from '../support/pausing-database';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { waitFor } from '../support/wait-for';

const logger = createLogger('handover-test', 'silent');

/**
 * Two messages instances over one shard, real Redis and PostgreSQL. The first owner is paused
 * with a batch in hand while its lease goes to the second: when it wakes, it can neither
 * commit nor publish, and every message reaches the room exactly once, in seq order.
 */
describe('fenced shard handover', () => {
  let server: RedisServerHandle;
  let pg: TestDatabase;
  let admin: Redis;
  let sub: Redis;
  let dbA: PausingDatabase;
  let dbB: Database;
  let a: MessagesService;
  let b: MessagesService | undefined;
  const roomEvents: { seq?: number; type: string; clientMsgId?: string }[] = [];
  const replies: { ref?: string; ok?: boolean }[] = [];
  const alice = { id: newUserId(), username: 'alice' };
  const roomId = newRoomId();

  const config = (leaseTtlMs: number) =>
    parseConfig({ REDIS_URL: server.url, SHARDS: '1', LEASE_TTL_MS: String(leaseTtlMs), LOG_LEVEL: 'silent', NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) });

  beforeAll(async () => {
    server = await startRedisServer();
    pg = await createTestDatabase('handover');
    const base = new PgDatabase(pg.url);
    await migrate(base);
    await new UserRepository(base).create({ ...alice, passwordHash: null });
    await new RoomRepository(base).create({ id: roomId, name: 'handover', topic: '', kind: 'public', createdBy: alice.id });
    await base.close();
    dbA = new PausingDatabase(new PgDatabase(pg.url));
    dbB = new PgDatabase(pg.url);
    admin = createRedis(server.url, 'handover-admin');
    sub = createRedis(server.url, 'handover-sub');
    sub.on('smessage', (_c: string, payload: string) => {
      const { seq, frame } = decodeRoomEvent(payload);
      const f = JSON.parse(frame);
      roomEvents.push({ seq, type: f.type, clientMsgId: f.data?.clientMsgId });
    });
    sub.on('message', (_c: string, payload: string) => replies.push(JSON.parse(decodeDelivery(payload).frame)));
    await sub.ssubscribe(Channels.room(roomId));
    await sub.subscribe(Channels.gateway('gw-test'));
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([dbA?.close(), dbB?.close()]);
    admin?.disconnect();
    sub?.disconnect();
    await server?.stop();
    await pg?.drop();
  });

  const send = (n: number) =>
    admin.xadd(
      Keys.inStream(0),
      '*',
      ...envelopeFields({
        f: JSON.stringify({ type: 'message.send', ref: `s${n}`, data: { roomId, text: `message ${n}`, clientMsgId: `m${n}` } }),
        u: alice.id,
        n: alice.username,
        g: 'gw-test',
        c: 'c1',
        t: Date.now(),
      }),
    );

  it('a paused former owner can neither commit nor publish after the takeover', async () => {
    // The first owner's clock is the worst case: its lease looks valid to it for a minute (it
    // ticks every 20 s), so only the fences can stop it — not its own deadline, not a renewal.
    a = new MessagesService(config(60_000), dbA, logger);
    await a.start();
    expect(a.ownedShards).toEqual([0]);

    await send(1);
    await waitFor(() => roomEvents.length === 1, { what: 'the first message, from the first owner' });

    // The owner takes the next batch and pauses in the middle of it, past its lease.
    dbA.pauseNextInsert = deferred<void>();
    const wake = dbA.pauseNextInsert;
    await send(2);
    await dbA.paused.promise;
    await admin.del(Keys.shardLease(0)); // its lease expired while it was paused

    b = new MessagesService(config(1000), dbB, logger);
    await b.start();
    await waitFor(() => b!.ownedShards.includes(0), { what: 'the second instance to take the shard' });
    await waitFor(() => roomEvents.length === 2, { what: 'the new owner to redo the paused batch' });

    // The former owner wakes: PostgreSQL refuses its epoch, Redis its token. Nothing from it.
    wake.resolve();
    await waitFor(() => a.ownedShards.length === 0, { what: 'the former owner to let go (fenced)' });
    await send(3);
    await waitFor(() => roomEvents.length === 3, { what: 'the third message' });

    expect(roomEvents.map((e) => [e.seq, e.clientMsgId])).toEqual([
      [1, 'm1'],
      [2, 'm2'],
      [3, 'm3'],
    ]);
    const rows = await dbB.query<{ seq: number; client_msg_id: string }>('SELECT seq, client_msg_id FROM messages WHERE room_id = $1 ORDER BY seq', [roomId]);
    expect(rows.map((r) => [Number(r.seq), r.client_msg_id])).toEqual([
      [1, 'm1'],
      [2, 'm2'],
      [3, 'm3'],
    ]);
    await waitFor(() => replies.length >= 3, { what: 'the replies' });
    expect(replies.map((r) => r.ref).sort()).toEqual(['s1', 's2', 's3']);
    expect(replies.every((r) => r.ok)).toBe(true);
  });
});
