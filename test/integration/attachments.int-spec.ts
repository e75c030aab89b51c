import { MessagingMetrics, OpContext } from '@chat/messaging';
import { MessageSendHandler, SendItem } from '../../libs/messaging/src/handlers/message-send.handler';
import { MembershipCache } from '../../libs/messaging/src/membership-cache';
import { Envelope, newAttachmentId, newRoomId, OpData, User } from '@chat/protocol';
import {
  AttachmentRepository,
  Database,
  isAttachmentClaimError,
  MessageDraft,
  MessageRepository,
  NewAttachment,
  RoomRepository,
  UserRepository,
} from '@chat/store';
import { ChatEffects } from '@chat/streams';
import { ENGINE_NAMES, newTestUser, TestDatabases } from '../support/engines';
import { flushed } from '../support/fakes';

/**
 * Claiming uploads for messages, on both engines: the store's one-statement claim (and the
 * careful path's), and the messages service's send handler with its refusals, against real
 * SQL — own and unused only, never twice, not even by two sends racing in one batch.
 */
const databases = new TestDatabases();

describe.each(ENGINE_NAMES)('attachments on %s', (engine) => {
  let db: Database;
  let users: UserRepository;
  let rooms: RoomRepository;
  let messages: MessageRepository;
  let attachments: AttachmentRepository;

  beforeAll(async () => {
    db = await databases.open(engine, 'attachments', 8);
    users = new UserRepository(db);
    rooms = new RoomRepository(db);
    messages = new MessageRepository(db);
    attachments = new AttachmentRepository(db);
  });
  afterAll(() => databases.closeAll());

  async function roomOf(owner: User, ...members: User[]) {
    const room = await rooms.create({ id: newRoomId(), name: 'files', topic: '', kind: 'public', createdBy: owner.id });
    for (const m of members) await rooms.addMember(room.id, m.id);
    return room;
  }
  async function upload(owner: User, extra: Partial<NewAttachment> = {}) {
    const id = newAttachmentId();
    return attachments.insert({ id, ownerId: owner.id, name: `${id}.png`, size: 123, type: 'image/png', width: 4, height: 3, storageKey: id, ...extra });
  }
  let n = 0;
  const draft = (roomId: string, author: User, attachmentIds?: string[]): MessageDraft => ({
    roomId,
    authorId: author.id,
    authorName: author.username,
    text: `with files ${++n}`,
    clientMsgId: `c${n}`,
    attachmentIds,
  });
  const claimOf = async (id: string) =>
    (await db.query<{ room_id: string | null; seq: number | null }>('SELECT room_id, seq FROM attachments WHERE id = $1', [id]))[0];
  const lastSeq = async (roomId: string) => (await rooms.findById(roomId))!.lastSeq;

  describe('the insert claims them', () => {
    it.each([false, true])('stores the attachments on the message in the order given, claims them, and reads them back everywhere (mayExist=%s)', async (mayExist) => {
      const alice = await newTestUser(users, 'alice');
      const room = await roomOf(alice);
      const a = await upload(alice);
      const b = await upload(alice, { name: 'notes.txt', type: 'text/plain; charset=utf-8', width: undefined, height: undefined });
      const [{ message }] = await messages.appendBatch([draft(room.id, alice, [b.id, a.id])], { mayExist });
      expect(message.attachments).toEqual([
        { id: b.id, name: 'notes.txt', size: 123, type: 'text/plain; charset=utf-8', url: `/api/attachments/${b.id}` },
        { id: a.id, name: a.name, size: 123, type: 'image/png', width: 4, height: 3, url: `/api/attachments/${a.id}` },
      ]);
      expect(await claimOf(a.id)).toEqual({ room_id: room.id, seq: message.seq });
      expect((await messages.find(room.id, message.seq))!.attachments).toEqual(message.attachments);
      expect((await messages.history(room.id, undefined, 10)).messages[0].attachments).toEqual(message.attachments);
      expect((await messages.since(room.id, 0, 10)).messages[0].attachments).toEqual(message.attachments);
    });

    it('keeps attachments [] for a message without any', async () => {
      const alice = await newTestUser(users, 'alice');
      const room = await roomOf(alice);
      const [{ message }] = await messages.appendBatch([draft(room.id, alice)], { mayExist: false });
      expect(message.attachments).toEqual([]);
    });

    it.each([false, true])("refuses someone else's, a used, an unknown upload and one id twice in a batch as a whole (CHA02), writing nothing (mayExist=%s)", async (mayExist) => {
      const [alice, bob] = [await newTestUser(users, 'alice'), await newTestUser(users, 'bob')];
      const room = await roomOf(alice, bob);
      const bobs = await upload(bob);
      const used = await upload(alice);
      await messages.appendBatch([draft(room.id, alice, [used.id])]);
      const mine = await upload(alice);
      const before = await lastSeq(room.id);
      for (const batch of [
        [draft(room.id, alice), draft(room.id, alice, [bobs.id])],
        [draft(room.id, alice, [used.id])],
        [draft(room.id, alice, ['fnosuchupload'])],
        [draft(room.id, alice, [mine.id]), draft(room.id, alice, [mine.id])],
      ]) {
        const err = await messages.appendBatch(batch, { mayExist }).catch((e: unknown) => e);
        expect(isAttachmentClaimError(err)).toBe(true);
      }
      expect(await lastSeq(room.id)).toBe(before);
      expect(await claimOf(bobs.id)).toEqual({ room_id: null, seq: null });
      expect(await claimOf(mine.id)).toEqual({ room_id: null, seq: null });
    });

    it('lets exactly one of two concurrent batches (two rooms, two shards) claim the same upload', async () => {
      const alice = await newTestUser(users, 'alice');
      const [r1, r2] = [await roomOf(alice), await roomOf(alice)];
      const contested = await upload(alice);
      const results = await Promise.allSettled([
        messages.appendBatch([draft(r1.id, alice, [contested.id])], { mayExist: false }),
        messages.appendBatch([draft(r2.id, alice, [contested.id])], { mayExist: false }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(isAttachmentClaimError(rejected.reason)).toBe(true);
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      expect((await claimOf(contested.id)).room_id).toBe([r1, r2][winner].id);
      expect((await lastSeq(r1.id)) + (await lastSeq(r2.id))).toBe(1);
    });
  });

  describe('reading, deleting and sweeping', () => {
    it('lets only the owner read an unsent upload, then only members of its room', async () => {
      const [alice, bob, carol] = [await newTestUser(users, 'alice'), await newTestUser(users, 'bob'), await newTestUser(users, 'carol')];
      const room = await roomOf(alice, bob);
      const file = await upload(alice);
      expect((await attachments.findForReader(file.id, alice.id))!.readable).toBe(true);
      expect((await attachments.findForReader(file.id, bob.id))!.readable).toBe(false);
      await messages.appendBatch([draft(room.id, alice, [file.id])]);
      expect((await attachments.findForReader(file.id, bob.id))!.readable).toBe(true);
      expect((await attachments.findForReader(file.id, carol.id))!.readable).toBe(false);
      await rooms.removeMember(room.id, bob.id);
      expect((await attachments.findForReader(file.id, bob.id))!.readable).toBe(false);
      expect(await attachments.findForReader('fnosuchupload', alice.id)).toBeUndefined();
    });

    it('drops the attachments of a deleted message from it and from downloads, and sweeps them with old unsent uploads only', async () => {
      const alice = await newTestUser(users, 'alice');
      const room = await roomOf(alice);
      const sent = await upload(alice);
      const [{ message }] = await messages.appendBatch([draft(room.id, alice, [sent.id])]);
      const kept = await upload(alice);
      const [{ message: keptMessage }] = await messages.appendBatch([draft(room.id, alice, [kept.id])]);
      const oldOrphan = await upload(alice);
      await db.query(`UPDATE attachments SET created_at = now() - interval '2 days' WHERE id = $1`, [oldOrphan.id]);
      const newOrphan = await upload(alice);

      const deleted = await messages.softDelete(room.id, message.seq);
      expect(deleted!.attachments).toEqual([]);
      expect((await messages.find(room.id, message.seq))!.attachments).toEqual([]);
      expect(await attachments.findForReader(sent.id, alice.id)).toBeUndefined();

      const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
      const swept = new Set<string>();
      // Two sweepers at once (two api replicas) never return the same key.
      for (const keys of await Promise.all([attachments.removeUnwanted(dayAgo, 1000), attachments.removeUnwanted(dayAgo, 1000)])) {
        for (const key of keys) {
          expect(swept.has(key)).toBe(false);
          swept.add(key);
        }
      }
      expect(swept.has(sent.storageKey) && swept.has(oldOrphan.storageKey)).toBe(true);
      expect(swept.has(kept.storageKey) || swept.has(newOrphan.storageKey)).toBe(false);
      expect((await messages.find(room.id, keptMessage.seq))!.attachments.map((a) => a.id)).toEqual([kept.id]);
    });
  });

  describe('message.send', () => {
    const EVENTS = { shards: 1, batch: { shard: 0, eventsMaxLen: 100 } };
    let out: ChatEffects;
    let alice: User;
    let bob: User;
    let roomId: string;
    let handler: MessageSendHandler;

    beforeEach(async () => {
      out = new ChatEffects(EVENTS);
      alice = await newTestUser(users, 'alice');
      bob = await newTestUser(users, 'bob');
      roomId = (await roomOf(alice, bob)).id;
      handler = new MessageSendHandler(messages, new MembershipCache(rooms), MessagingMetrics.get(), attachments);
    });

    let refs = 0;
    function send(user: User, ids: string[] | undefined, opts: { clientMsgId?: string; redelivered?: boolean } = {}): SendItem {
      const ref = `s${++refs}`;
      const env: Envelope = { f: '', u: user.id, n: user.username, g: 'gw-1', c: 'c-1', t: Date.now() };
      const ctx: OpContext = {
        env,
        user,
        ref,
        out,
        entry: { stream: 'chat:in:{0}', id: `${refs}-0`, fields: [] },
        entryKey: `chat:in:{0}#${refs}-0`,
        redelivered: opts.redelivered ?? false,
      };
      return { ctx, data: { roomId, text: `send ${ref}`, clientMsgId: opts.clientMsgId ?? ref, attachments: ids } };
    }
    type Reply = { type: string; ref: string; ok: boolean; data?: { message: { attachments: { id: string }[] } }; error?: unknown };
    async function replies(): Promise<Reply[]> {
      return (await flushed(out)).map((e) => e.frame as Reply).filter((frame) => frame.type === 'reply');
    }

    it('stores the sender\'s own unused uploads and refuses, each clearly, unknown, someone else\'s and used ones', async () => {
      const [a, b] = [await upload(alice), await upload(alice)];
      const bobs = await upload(bob);
      await handler.handleBatch([send(alice, [a.id, b.id])]);
      await handler.handleBatch([send(alice, ['fnosuchupload']), send(alice, [bobs.id]), send(alice, [a.id])]);
      const [ok, unknown, foreign, used] = await replies();
      expect(ok.data!.message.attachments.map((x) => x.id)).toEqual([a.id, b.id]);
      expect([unknown.error, foreign.error, used.error]).toEqual([
        { code: 'NOT_FOUND', message: 'attachment fnosuchupload does not exist' },
        { code: 'FORBIDDEN', message: `attachment ${bobs.id} is not your upload` },
        { code: 'CONFLICT', message: `attachment ${a.id} is already used by another message` },
      ]);
    });

    it('gives an upload carried by two sends of one batch to the first; the second is refused, the rest stored', async () => {
      const file = await upload(alice);
      const other = await upload(alice);
      await handler.handleBatch([send(alice, [file.id]), send(alice, [other.id, file.id]), send(alice, undefined)]);
      const [second, first, third] = await replies();
      expect(second.error).toEqual({ code: 'CONFLICT', message: `attachment ${file.id} is already used by another message` });
      expect(first.data!.message.attachments.map((x) => x.id)).toEqual([file.id]);
      expect(third.ok).toBe(true);
      expect(await claimOf(other.id)).toEqual({ room_id: null, seq: null });
    });

    it('returns the first message to a repeated send (same clientMsgId), in the same batch or redelivered later', async () => {
      const file = await upload(alice);
      await handler.handleBatch([send(alice, [file.id], { clientMsgId: 'same' }), send(alice, [file.id], { clientMsgId: 'same' })]);
      await handler.handleBatch([send(alice, [file.id], { clientMsgId: 'same', redelivered: true })]);
      const all = await replies();
      expect(all.map((r) => r.ok)).toEqual([true, true, true]);
      expect(new Set(all.map((r) => JSON.stringify(r.data!.message)))).toHaveProperty('size', 1);
    });

    it('refuses only the send whose upload another shard claimed after the checks ran (the claim in the insert decides)', async () => {
      const file = await upload(alice);
      // What a send on another shard sees while this one is between its checks and its insert.
      const stale = { claimStates: async (ids: string[]) => new Map(ids.map((id) => [id, { ownerId: alice.id, used: false }])) };
      const racing = new MessageSendHandler(messages, new MembershipCache(rooms), MessagingMetrics.get(), stale);
      await messages.appendBatch([draft(roomId, alice, [file.id])]);
      await racing.handleBatch([send(alice, undefined), send(alice, [file.id])]);
      const [neighbour, loser] = await replies();
      expect(neighbour.ok).toBe(true);
      expect(loser.error).toEqual({ code: 'CONFLICT', message: 'an attachment of this message was used by another message first' });
    });

    it('takes at most 10 distinct ids per send (the schema, at the gateway and again in the service)', () => {
      const schema = OpData['message.send'];
      const ids = (k: number) => Array.from({ length: k }, (_, i) => `f${i}`);
      expect(schema.safeParse({ roomId: 'r', text: 't', clientMsgId: 'c', attachments: ids(10) }).success).toBe(true);
      expect(schema.safeParse({ roomId: 'r', text: 't', clientMsgId: 'c', attachments: ids(11) }).success).toBe(false);
      expect(schema.safeParse({ roomId: 'r', text: 't', clientMsgId: 'c', attachments: ['f1', 'f1'] }).success).toBe(false);
    });
  });
});
