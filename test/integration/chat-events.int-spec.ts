import { MessagesService } from '@chat/messaging';
import { decodeDelivery, newRoomId, newUserId, User } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { decodeChatEventEntry } from '@chat/stream-transport';
import { deferred } from '../support/deferred';
import { OneShardHarness } from '../support/one-shard-harness';
import { waitFor } from '../support/wait-for';

/**
 * The messages service appends every durable change to its shard's `chat:events:{shard}`, in
 * the batch's fenced commit: in op order, once — and once only when a redelivered entry
 * republishes what its first run committed but could not publish.
 */
describe('chat events emitted by the messages service', () => {
  let h: OneShardHarness;
  let a: MessagesService;
  const replies = new Map<string, { ok?: boolean; data?: { message?: { id: string } } }>();
  const alice: User = { id: newUserId(), username: 'alice' };
  const bob: User = { id: newUserId(), username: 'bob' };
  const roomId = newRoomId();
  const stream = Keys.eventStream(0);
  const config = (leaseTtlMs: number) => h.config(leaseTtlMs, { EVENTS_MAXLEN: '1000' });

  beforeAll(async () => {
    h = await OneShardHarness.start('chat_events', [alice, bob], { id: roomId, createdBy: alice.id });
    await h.listenForReplies((payload) => {
      const frame = JSON.parse(decodeDelivery(payload).frame);
      if (frame.ref) replies.set(frame.ref, frame);
    });
  });

  afterAll(() => h?.stop());

  const op = (user: User, ref: string, type: string, data: unknown) => h.op(user, ref, type, data);

  const answered = (ref: string) => waitFor(() => replies.get(ref), { what: `the reply to ${ref}` });

  /** Every event on the shard's stream, decoded and validated against ChatEventData. */
  async function events(): Promise<{ type: string; data: unknown }[]> {
    const raw = (await h.admin.xrange(stream, '-', '+')) as [string, string[]][];
    return raw.map(([id, fields]) => {
      const decoded = decodeChatEventEntry(fields);
      if (!decoded.ok) throw new Error(`entry ${id} is not a valid chat event: ${decoded.error}`);
      return { type: decoded.event.type, data: decoded.event.data };
    });
  }

  it('join, send, edit, delete and leave append their events to the shard’s stream, in order, once', async () => {
    a = await h.startService(h.dbA, config(60_000));
    await op(bob, 'j1', 'room.join', { roomId });
    await answered('j1');
    await op(alice, 's1', 'message.send', { roomId, text: 'hello', clientMsgId: 'm1' });
    const sent = await answered('s1');
    const messageId = sent.data!.message!.id;
    await op(alice, 'e1', 'message.edit', { messageId, text: 'hello, edited' });
    await op(alice, 'd1', 'message.delete', { messageId });
    await op(bob, 'l1', 'room.leave', { roomId });
    // A refused op changes nothing: no event.
    await op(bob, 'x1', 'message.send', { roomId, text: 'not a member any more', clientMsgId: 'm-x' });
    await answered('x1');
    expect(['e1', 'd1', 'l1', 'x1'].map((ref) => replies.get(ref)?.ok)).toEqual([true, true, true, false]);

    expect(await events()).toEqual([
      { type: 'member.joined', data: { roomId, userId: bob.id } },
      { type: 'message.created', data: { message: expect.objectContaining({ id: messageId, roomId, seq: 1, text: 'hello' }) } },
      { type: 'message.updated', data: { message: expect.objectContaining({ id: messageId, text: 'hello, edited' }) } },
      { type: 'message.deleted', data: { roomId, seq: 1, id: messageId } },
      { type: 'member.left', data: { roomId, userId: bob.id, reason: 'left' } },
    ]);
    // Joining again while a member changes nothing.
    await op(alice, 'j2', 'room.join', { roomId });
    await answered('j2');
    expect(await events()).toHaveLength(5);
  });

  it('a send committed by an owner fenced out before its Redis commit gets its event once, from the redelivery', async () => {
    const before = (await events()).length;
    h.dbA.pauseNextInsert = deferred<void>();
    const wake = h.dbA.pauseNextInsert;
    await op(alice, 's2', 'message.send', { roomId, text: 'committed, then fenced', clientMsgId: 'm2' });
    await h.dbA.paused.promise;
    // Its lease goes while it is paused; nobody has taken the shard yet, so PostgreSQL still
    // accepts its epoch: the message commits, and then the Redis commit is refused.
    await h.admin.del(Keys.shardLease(0));
    wake.resolve();
    await waitFor(() => a.ownedShards.length === 0, { what: 'the owner to be fenced out at its Redis commit' });
    const rows = await h.dbB.query<{ seq: number }>('SELECT seq FROM messages WHERE room_id = $1 AND client_msg_id = $2', [roomId, 'm2']);
    expect(rows).toHaveLength(1);
    expect(await events()).toHaveLength(before); // nothing was appended without the commit

    await h.startService(h.dbB, config(1000));
    await answered('s2');
    await op(alice, 's3', 'message.send', { roomId, text: 'after the handover', clientMsgId: 'm3' });
    await answered('s3');
    const after = (await events()).slice(before);
    expect(after.map((e) => [e.type, (e.data as { message: { text: string; seq: number } }).message.text])).toEqual([
      ['message.created', 'committed, then fenced'],
      ['message.created', 'after the handover'],
    ]);
  });

  it('invite, kick, ban and dm.open append member events with the way in or out', async () => {
    const before = (await events()).length;
    await op(alice, 'i1', 'room.invite', { roomId, userId: bob.id });
    await op(alice, 'k1', 'room.kick', { roomId, userId: bob.id });
    await op(alice, 'i2', 'room.invite', { roomId, userId: bob.id });
    await op(alice, 'b1', 'room.ban', { roomId, userId: bob.id });
    await op(alice, 'dm1', 'dm.open', { userId: bob.id });
    const dm = (await answered('dm1')) as { ok?: boolean; data?: { room?: { id: string } } };
    expect(['i1', 'k1', 'i2', 'b1'].map((ref) => replies.get(ref)?.ok)).toEqual([true, true, true, true]);
    const dmId = dm.data!.room!.id;
    expect((await events()).slice(before)).toEqual([
      { type: 'member.joined', data: { roomId, userId: bob.id } },
      { type: 'member.left', data: { roomId, userId: bob.id, reason: 'kicked' } },
      { type: 'member.joined', data: { roomId, userId: bob.id } },
      { type: 'member.left', data: { roomId, userId: bob.id, reason: 'banned' } },
      { type: 'member.joined', data: { roomId: dmId, userId: alice.id } },
      { type: 'member.joined', data: { roomId: dmId, userId: bob.id } },
    ]);
  });
});
