import { Keys, keySlot, shardOf } from '@chat/redis';
import WebSocket from 'ws';
import { ChatStackOnCluster, startChatStackOnCluster, uniqueName } from '../support/chat-stack';
import { waitFor } from '../support/wait-for';
import { Frame, guest, WsClient } from '../support/ws-client';

const SHARDS = 8;
/** One word per room, far apart for the search index. */
const WORDS = ['apricot', 'bandoneon', 'cormorant', 'dulcimer', 'escarpment', 'fjordland'];

/**
 * The system on a Redis Cluster of 3 primaries with a replica each, every app a separate
 * process with REDIS_CLUSTER_NODES: a shard's stream, lease, event stream and channels live on
 * one slot, so its fenced commit is one script there; rooms of different shards sit on
 * different nodes. Then the primary holding a busy room's shard is killed under traffic: its
 * replica is promoted, and nothing that was acknowledged is lost or doubled.
 */
describe('on a Redis Cluster', () => {
  let stack: ChatStackOnCluster;

  beforeAll(async () => {
    stack = await startChatStackOnCluster('rediscluster', { search: 1, env: { SHARDS: String(SHARDS), LEASE_TTL_MS: '2000' } });
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  const seqs = (client: WsClient, roomId: string) =>
    client
      .events('message.created')
      .filter((f) => f.data.roomId === roomId)
      .map((f) => f.data.seq as number);

  it('chats across two gateways: rooms on every node, each message once and in order, typing, presence, search', async () => {
    const a = await guest(stack.apiUrl, uniqueName('ca'));
    const b = await guest(stack.apiUrl, uniqueName('cb'));
    const ca = await WsClient.connect(stack.gatewayUrls[0], a.token);
    const cb = await WsClient.connect(stack.gatewayUrls[1], b.token);

    // Enough rooms that their shards land on all three primaries.
    const rooms: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { room } = await ca.call('room.create', { name: `cluster ${i}` });
      await cb.call('room.join', { roomId: room.id });
      rooms.push(room.id);
    }
    const primaries = new Set(await Promise.all(rooms.map(async (r) => (await stack.cluster.primaryOf(keySlot(Keys.inStream(shardOf(r, SHARDS))))).port)));
    expect(primaries.size).toBeGreaterThan(1);

    for (let n = 1; n <= 5; n++) {
      for (const [i, roomId] of rooms.entries()) {
        const from = i % 2 === 0 ? ca : cb;
        from.send('message.send', { roomId, text: `m${n} about ${WORDS[i]}`, clientMsgId: `c${i}-${n}` }, `s${i}-${n}`);
      }
    }
    await ca.waitForCount((f) => f.type === 'message.created', rooms.length * 5, 30_000, 'every message at a');
    await cb.waitForCount((f) => f.type === 'message.created', rooms.length * 5, 30_000, 'every message at b');
    for (const roomId of rooms) {
      expect(seqs(ca, roomId)).toEqual([1, 2, 3, 4, 5]);
      expect(seqs(cb, roomId)).toEqual([1, 2, 3, 4, 5]);
    }

    // Typing and presence (the presence service's keys and scripts, one user's per slot).
    const typing = ca.next((f) => f.type === 'typing.updated' && f.data.userIds.includes(b.user.id), 10_000, 'b typing');
    await cb.call('typing.start', { roomId: rooms[0] });
    await typing;
    const dnd = ca.next((f) => f.type === 'presence.updated' && f.data.userId === b.user.id && f.data.status === 'dnd', 10_000, 'b dnd');
    await cb.call('presence.set', { status: 'dnd' });
    await dnd;
    const members = await ca.call('room.members', { roomId: rooms[1] });
    expect(members.members.find((m: { id: string }) => m.id === b.user.id)).toMatchObject({ presence: 'dnd' });

    // Search follows every shard's event stream (one read per stream: they live on different nodes).
    for (const [i, roomId] of rooms.entries()) {
      let last: unknown;
      await waitFor(
        async () => {
          const { hits } = await ca.call('search', { query: WORDS[i] });
          last = hits.map((h: { message: { text: string } }) => h.message.text);
          return hits.length === 5 && hits.every((h: { message: { roomId: string } }) => h.message.roomId === roomId) ? hits : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: `the messages of room ${i} in search` },
      ).catch((err) => {
        throw new Error(`${err.message}; last hits: ${JSON.stringify(last)}`);
      });
    }
    await ca.close();
    await cb.close();
  });

  it('a primary dies under traffic: its replica takes over, every acknowledged message is stored once and reaches the other side', async () => {
    const a = await guest(stack.apiUrl, uniqueName('fa'));
    const b = await guest(stack.apiUrl, uniqueName('fb'));
    let ca = await WsClient.connect(stack.gatewayUrls[0], a.token);
    let cb = await WsClient.connect(stack.gatewayUrls[1], b.token);
    const { room } = await ca.call('room.create', { name: 'failover' });
    await cb.call('room.join', { roomId: room.id });
    const victim = await stack.cluster.primaryOf(keySlot(Keys.inStream(shardOf(room.id, SHARDS))));

    // b keeps what it sees live across reconnects, and resumes from its last seq.
    const seenByB: number[] = [];
    const follow = (client: WsClient) =>
      client.ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as Frame;
        if (f.type === 'message.created' && f.data.roomId === room.id) seenByB.push(f.data.seq);
      });
    const isClosed = (client: WsClient) => client.ws.readyState !== WebSocket.OPEN;
    follow(cb);

    const connect = async (url: string, token: string) =>
      waitFor(() => WsClient.connect(url, token).catch(() => undefined), { timeoutMs: 30_000, intervalMs: 200, what: 'a session' });

    const TOTAL = 40;
    const acked = new Map<string, number>();
    const deadline = Date.now() + 90_000;
    for (let n = 1; n <= TOTAL; n++) {
      if (n === 11) victim.kill();
      const clientMsgId = `f-${n}`;
      // Retried with the same clientMsgId until acknowledged: at most once is stored.
      for (;;) {
        if (Date.now() > deadline) throw new Error(`message ${n} was never acknowledged`);
        const reply = await ca.request('message.send', { roomId: room.id, text: `f${n}`, clientMsgId }, 3000).catch(() => undefined);
        if (reply?.ok) {
          acked.set(clientMsgId, reply.data.message.seq);
          break;
        }
        if (reply && !['UNAVAILABLE', 'INTERNAL'].includes(reply.error?.code ?? '')) throw new Error(`send ${n}: ${JSON.stringify(reply)}`);
        if (isClosed(ca)) ca = await connect(stack.gatewayUrls[0], a.token);
      }
    }
    expect(acked.size).toBe(TOTAL);
    expect([...acked.values()].sort((x, y) => x - y)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    await stack.cluster.waitHealthy();

    // Stored once each, in the order acknowledged.
    const history = await ca.call('message.history', { roomId: room.id, limit: 100 });
    expect(history.messages.map((m: { clientMsgId: string; seq: number }) => [m.clientMsgId, m.seq])).toEqual(
      [...acked.entries()].map(([id, seq]) => [id, seq]).sort((x, y) => (x[1] as number) - (y[1] as number)),
    );

    // b: live, and what it missed while its gateway re-subscribed comes back by resume.
    if (isClosed(cb)) {
      cb = await connect(stack.gatewayUrls[1], b.token);
      follow(cb);
    }
    const last = seenByB.length > 0 ? Math.max(...seenByB) : 0;
    await cb.call('resume', { rooms: { [room.id]: last } });
    await waitFor(() => new Set(seenByB).size === TOTAL || undefined, { timeoutMs: 20_000, what: 'b to have every acknowledged message' });
    expect([...new Set(seenByB)].sort((x, y) => x - y)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    await ca.close();
    await cb.close();
  });
});
