import Redis from 'ioredis';
import { Keys, shardOf } from '@chat/redis';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { expectExactlyOnceInOrder, historyOf, range, sendBurst } from '../support/room-load';
import { guest, WsClient } from '../support/ws-client';

const SHARDS = 4;
const SENDERS = 5;
const PER_SENDER = 200;
const WINDOW = 10;
const RETRY_AFTER_MS = 3000;

/**
 * kill -9 the messages instance that owns a room's shard in the middle of a burst. The other
 * instance takes the shard when the lease expires and claims the dead one's pending entries.
 * Every acknowledged message reaches every member exactly once, in seq order; sends that got no
 * answer are retried with their clientMsgId and take effect exactly once.
 */
describe('failover of a messages instance under load', () => {
  let stack: ChatStack;
  let redis: Redis;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('failover', { env: { SHARDS: String(SHARDS), LEASE_TTL_MS: '1500' } });
    redis = new Redis(stack.redis.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    redis?.disconnect();
    await stack?.teardown();
  });

  it('loses nothing acknowledged and applies every retried send exactly once', async () => {
    const people = await Promise.all(
      Array.from({ length: SENDERS }, async (_, i) => {
        const { token } = await guest(stack.apiUrl, uniqueName(`fo${i}`));
        const client = await WsClient.connect(stack.gatewayUrls[i % 2], token);
        clients.push(client);
        return client;
      }),
    );
    const { room } = await people[0].call('room.create', { name: 'failover' });
    for (const p of people.slice(1)) await p.call('room.join', { roomId: room.id });

    // The instance holding the room's shard is the one to kill.
    const holder = await redis.get(Keys.shardLease(shardOf(room.id, SHARDS)));
    const victim = stack.processes.find((p) => p.name.startsWith('messages') && holder?.includes(`-${p.pid}-`));
    expect(victim).toBeDefined();

    let acks = 0;
    let killed = false;
    const onAck = () => {
      if (++acks === 300 && !killed) {
        killed = true;
        victim!.kill('SIGKILL');
      }
    };
    const results = await Promise.all(
      people.map((client, i) => sendBurst(client, room.id, `f${i}`, PER_SENDER, { window: WINDOW, retryAfterMs: RETRY_AFTER_MS, onAck })),
    );
    expect(killed).toBe(true);
    expect(await victim!.exited).toBeNull(); // killed by a signal, not exited

    const total = SENDERS * PER_SENDER;
    const ackedSeqs = results.flatMap((m) => [...m.values()]).sort((a, b) => a - b);
    expect(ackedSeqs).toEqual(range(1, total));

    for (const client of people) await expectExactlyOnceInOrder(client, room.id, total);

    // PostgreSQL agrees: one row per clientMsgId, seqs 1..1000.
    const stored = await historyOf(people[0], room.id);
    expect(stored.map((m) => m.seq)).toEqual(range(1, total));
    expect(new Set(stored.map((m) => m.clientMsgId)).size).toBe(total);
  });
});
