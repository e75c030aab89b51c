import Redis from 'ioredis';
import { Keys, shardOf } from '@chat/redis';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { Frame, guest, WsClient } from '../support/ws-client';

const SHARDS = 4;
const SENDERS = 5;
const PER_SENDER = 200;
const WINDOW = 10;
const RETRY_AFTER_MS = 3000;

/**
 * kill -9 the messages instance that owns a room's shard in the middle of a burst. The other
 * instance takes the shard when the lease expires and claims the dead one's pending entries.
 * Every acknowledged message reaches every member exactly once; sends that got no answer are
 * retried with their clientMsgId and take effect exactly once.
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

  /** Sends PER_SENDER messages with up to WINDOW in flight; a send without reply is re-sent with its clientMsgId. */
  async function burst(client: WsClient, roomId: string, sender: number, onAck: () => void): Promise<Map<string, number>> {
    const acked = new Map<string, number>(); // clientMsgId → seq
    let next = 0;
    const sendOne = async (k: number): Promise<void> => {
      const clientMsgId = `f${sender}-${k}`;
      for (let attempt = 0; ; attempt++) {
        const reply = await client.request('message.send', { roomId, text: `burst ${sender}/${k}`, clientMsgId }, RETRY_AFTER_MS).catch(() => undefined);
        if (reply?.ok) {
          acked.set(clientMsgId, reply.data.message.seq);
          onAck();
          return;
        }
        if (attempt > 20) throw new Error(`${clientMsgId} never acknowledged: ${JSON.stringify(reply)}`);
      }
    };
    await Promise.all(
      Array.from({ length: WINDOW }, async () => {
        while (next < PER_SENDER) await sendOne(next++);
      }),
    );
    return acked;
  }

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
    const results = await Promise.all(people.map((client, i) => burst(client, room.id, i, onAck)));
    expect(killed).toBe(true);
    expect(await victim!.exited).toBeNull(); // killed by a signal, not exited

    const total = SENDERS * PER_SENDER;
    const ackedSeqs = results.flatMap((m) => [...m.values()]).sort((a, b) => a - b);
    expect(ackedSeqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    const isCreated = (f: Frame) => f.type === 'message.created' && f.data.roomId === room.id;
    for (const client of people) {
      const got = await client.waitForCount(isCreated, total, 60_000, 'message.created');
      const seqs = got.map((f) => f.data.seq);
      // Exactly once each: no duplicates, no gaps.
      expect(new Set(seqs).size).toBe(seqs.length);
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      const ids = new Set(got.map((f) => f.data.clientMsgId));
      expect(ids.size).toBe(total);
    }

    // PostgreSQL agrees: one row per clientMsgId, seqs 1..1000.
    let stored: { seq: number; clientMsgId: string }[] = [];
    let beforeSeq: number | undefined;
    for (;;) {
      const page = await people[0].call('message.history', { roomId: room.id, beforeSeq, limit: 100 });
      stored = [...page.messages, ...stored];
      if (!page.hasMore) break;
      beforeSeq = page.messages[0].seq;
    }
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(stored.map((m) => m.clientMsgId)).size).toBe(total);
  });
});
