import { MessagesService } from '@chat/messaging';
import { decodeDelivery, decodeRoomEvent, newRoomId, newUserId } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { deferred } from '../support/deferred';
import { OneShardHarness } from '../support/one-shard-harness';
import { waitFor } from '../support/wait-for';

/**
 * Two messages instances over one shard, real Redis and PostgreSQL. The first owner is paused
 * with a batch in hand while its lease goes to the second: when it wakes, it can neither
 * commit nor publish, and every message reaches the room exactly once, in seq order.
 */
describe('fenced shard handover', () => {
  let h: OneShardHarness;
  let a: MessagesService;
  let b: MessagesService;
  const roomEvents: { seq?: number; type: string; clientMsgId?: string }[] = [];
  const replies: { ref?: string; ok?: boolean }[] = [];
  const alice = { id: newUserId(), username: 'alice' };
  const roomId = newRoomId();

  beforeAll(async () => {
    h = await OneShardHarness.start('handover', [alice], { id: roomId, createdBy: alice.id });
    await h.listenToRoom(roomId, (payload) => {
      const { seq, frame } = decodeRoomEvent(payload);
      const f = JSON.parse(frame);
      roomEvents.push({ seq, type: f.type, clientMsgId: f.data?.clientMsgId });
    });
    await h.listenForReplies((payload) => replies.push(JSON.parse(decodeDelivery(payload).frame)));
  });

  afterAll(() => h?.stop());

  const send = (n: number) => h.op(alice, `s${n}`, 'message.send', { roomId, text: `message ${n}`, clientMsgId: `m${n}` });

  it('a paused former owner can neither commit nor publish after the takeover', async () => {
    // The first owner's clock is the worst case: its lease looks valid to it for a minute (it
    // ticks every 20 s), so only the fences can stop it — not its own deadline, not a renewal.
    a = await h.startService(h.dbA, h.config(60_000));
    expect(a.ownedShards).toEqual([0]);

    await send(1);
    await waitFor(() => roomEvents.length === 1, { what: 'the first message, from the first owner' });

    // The owner takes the next batch and pauses in the middle of it, past its lease.
    h.dbA.pauseNextInsert = deferred<void>();
    const wake = h.dbA.pauseNextInsert;
    await send(2);
    await h.dbA.paused.promise;
    await h.admin.del(Keys.shardLease(0)); // its lease expired while it was paused

    b = await h.startService(h.dbB, h.config(1000));
    await waitFor(() => b.ownedShards.includes(0), { what: 'the second instance to take the shard' });
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
    const rows = await h.dbB.query<{ seq: number; client_msg_id: string }>('SELECT seq, client_msg_id FROM messages WHERE room_id = $1 ORDER BY seq', [roomId]);
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
