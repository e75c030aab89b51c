import Redis from 'ioredis';
import { Client } from 'pg';
import { MAX_SEQ } from '@chat/protocol';
import { Keys, shardOf } from '@chat/redis';
import { DeadLetters } from '@chat/streams';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { expectExactlyOnceInOrder, historyOf, range, sendBurst } from '../support/room-load';
import { guest, WsClient } from '../support/ws-client';

const SHARDS = 4;
const PER_SENDER = 60;

/**
 * An attacker's entries in the middle of other users' bursts on the same shard. What the
 * gateway can tell is bad (NUL in an id, a seq beyond the column) is BAD_REQUEST at the edge;
 * what only PostgreSQL can tell (here: a room whose seq would overflow) fails alone — INTERNAL
 * to its sender, set aside on the dead-letter stream — and nobody else's message is lost,
 * stalled, duplicated or reordered. An operator fixes the cause and replays the dead letter.
 */
describe('poison entries on a shard', () => {
  let stack: ChatStack;
  let redis: Redis;
  let pg: Client;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('poison', { env: { SHARDS: String(SHARDS) } });
    redis = new Redis(stack.redis.url);
    pg = new Client({ connectionString: stack.database.url });
    await pg.connect();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    redis?.disconnect();
    await pg?.end();
    await stack?.teardown();
  });

  async function person(name: string, gateway: number): Promise<WsClient> {
    const { token } = await guest(stack.apiUrl, uniqueName(name));
    const client = await WsClient.connect(stack.gatewayUrls[gateway % stack.gatewayUrls.length], token);
    clients.push(client);
    return client;
  }

  it('answers the attacker, dead-letters what fails alone, and delivers everyone else exactly once, in order', async () => {
    const [alice, bob, carol, mallory] = await Promise.all([person('palice', 0), person('pbob', 1), person('pcarol', 0), person('pmal', 1)]);
    const { room: victim } = await alice.call('room.create', { name: 'victim' });
    await bob.call('room.join', { roomId: victim.id });
    await carol.call('room.join', { roomId: victim.id });
    const shard = shardOf(victim.id, SHARDS);

    // The attacker's own room on the same shard, whose next seq cannot be stored.
    let poison: { id: string } | undefined;
    for (let i = 0; i < 60 && !poison; i++) {
      const { room } = await mallory.call('room.create', { name: `p${i}` });
      if (shardOf(room.id, SHARDS) === shard) poison = room;
    }
    expect(poison).toBeDefined();
    await pg.query('UPDATE rooms SET last_seq = $1 WHERE id = $2', [MAX_SEQ, poison!.id]);

    const nulRoom = `${victim.id}\u0000x`;
    const attack = (async () => {
      const answers: string[] = [];
      for (let i = 0; i < 10; i++) {
        const [nul, overflowReply, storedPoison] = await Promise.all([
          mallory.request('message.send', { roomId: nulRoom, text: 'x', clientMsgId: `nul-${i}` }),
          mallory.request('message.send', { roomId: victim.id, text: 'x', clientMsgId: `rt-${i}`, replyTo: `${victim.id}:3000000000` }),
          mallory.request('message.send', { roomId: poison!.id, text: 'boom', clientMsgId: `boom-${i}` }),
        ]);
        answers.push(nul.error?.code ?? 'ok', overflowReply.error?.code ?? 'ok', storedPoison.error?.code ?? 'ok');
      }
      return answers;
    })();
    const [fromAlice, fromBob, answers] = await Promise.all([
      sendBurst(alice, victim.id, 'a', PER_SENDER),
      sendBurst(bob, victim.id, 'b', PER_SENDER),
      attack,
    ]);

    // The attacker: BAD_REQUEST at the edge, INTERNAL for what failed alone.
    for (let i = 0; i < answers.length; i += 3) expect(answers.slice(i, i + 3)).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'INTERNAL']);

    // Everyone else: every send acknowledged once, seqs 1..n, delivered once each, in order.
    const total = 2 * PER_SENDER;
    expect([...fromAlice.values(), ...fromBob.values()].sort((x, y) => x - y)).toEqual(range(1, total));
    for (const member of [alice, bob, carol]) await expectExactlyOnceInOrder(member, victim.id, total);
    expect((await historyOf(alice, victim.id)).map((m) => m.seq)).toEqual(range(1, total));

    // The operator's view: the failed sends wait on the shard's dead-letter stream with their error.
    const letters = new DeadLetters(redis);
    const dead = await letters.list(Keys.inStream(shard));
    expect(dead).toHaveLength(10);
    expect(dead[0].error).toMatch(/22003|out of range/);
    expect(dead[0].fields[dead[0].fields.indexOf('f') + 1]).toContain('boom-');

    // Cause fixed, one replayed: it is stored and delivered like any send.
    await pg.query('UPDATE rooms SET last_seq = 0 WHERE id = $1', [poison!.id]);
    await letters.replay(Keys.inStream(shard), dead[0].id);
    const created = await mallory.next((f) => f.type === 'message.created' && f.data.roomId === poison!.id, 15_000, 'the replayed message');
    expect(created.data).toMatchObject({ seq: 1, text: 'boom' });
    expect(await letters.list(Keys.inStream(shard))).toHaveLength(9);
  });
});
