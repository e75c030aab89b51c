import { ChatError, ErrorCode, Message, RoomKind, User, newRoomId, newUserId } from '@chat/protocol';
import {
  Database,
  MessageDraft,
  MessageRepository,
  RoomRepository,
  ShardFenceRepository,
  UserRepository,
  fencedTransaction,
  migrate,
} from '@chat/store';
import { FENCED_SQLSTATE } from '@chat/streams';
import { ENGINE_NAMES, newTestUser, TestDatabases } from '../support/engines';

/**
 * libs/store against both engines it supports: the same suite runs on embedded PGlite (in
 * memory) and on a real PostgreSQL server (a fresh database per run).
 */
const databases = new TestDatabases();
const ENGINES = ENGINE_NAMES.map((name) => ({
  name,
  open: () => databases.open(name, 'store', 12),
  fresh: () => databases.fresh(name, 'store_fresh'),
}));

describe.each(ENGINES)('store on $name', (engine) => {
  let db: Database;
  let users: UserRepository;
  let rooms: RoomRepository;
  let messages: MessageRepository;

  beforeAll(async () => {
    db = await engine.open();
    users = new UserRepository(db);
    rooms = new RoomRepository(db);
    messages = new MessageRepository(db);
  });

  afterAll(() => databases.closeAll());

  // Every test makes its own users and rooms, so tests share the database without sharing state.
  const newUser = (name?: string): Promise<User> => newTestUser(users, name);
  async function newRoom(owner: User, kind: RoomKind = 'public', name = 'room') {
    return rooms.create({ id: newRoomId(), name, topic: `${name} topic`, kind, createdBy: owner.id });
  }
  const draft = (roomId: string, author: User, clientMsgId: string, text = `text of ${clientMsgId}`): MessageDraft => ({
    roomId,
    authorId: author.id,
    authorName: author.username,
    text,
    clientMsgId,
  });
  async function lastSeqOf(roomId: string): Promise<number> {
    return (await rooms.findById(roomId))!.lastSeq;
  }
  async function seqsInDb(roomId: string): Promise<number[]> {
    const rows = await db.query<{ seq: number }>('SELECT seq FROM messages WHERE room_id = $1 ORDER BY seq', [roomId]);
    return rows.map((r) => Number(r.seq));
  }
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it(`is the ${engine.name} engine`, () => {
    expect(db.engine).toBe(engine.name);
  });

  describe('migrations', () => {
    it('apply once on an empty database; a second run applies nothing', async () => {
      const fresh = await engine.fresh();
      const first = await migrate(fresh);
      expect(first.length).toBeGreaterThan(0);
      expect(first).toEqual([...first].sort((a, b) => a - b));
      expect(await migrate(fresh)).toEqual([]);

      const recorded = await fresh.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(recorded.map((r) => Number(r.version))).toEqual(first);
      const tables = await fresh.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['users', 'rooms', 'room_members', 'messages', 'schema_migrations']));
    });

    it('run by two starters at once, apply once (advisory lock)', async () => {
      const fresh = await engine.fresh();
      const results = await Promise.all([migrate(fresh), migrate(fresh)]);
      const applied = results.filter((r) => r.length > 0);
      expect(applied).toHaveLength(1);
      expect(results).toContainEqual([]);
      const recorded = await fresh.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(Number(recorded[0].n)).toBe(applied[0].length);
      expect(await migrate(fresh)).toEqual([]);
    });

    it('were applied by openDatabase, which applies nothing the second time', async () => {
      expect(await migrate(db)).toEqual([]);
    });

    it('roll back a failing migration entirely', async () => {
      const broken = { version: 999_001, name: 'broken', up: 'CREATE TABLE t_broken (id int); CREATE TABLE t_broken (id int)' };
      await expect(migrate(db, [broken])).rejects.toThrow(/t_broken/);
      expect(await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 't_broken'`)).toHaveLength(0);
      expect(await db.query('SELECT 1 FROM schema_migrations WHERE version = $1', [broken.version])).toHaveLength(0);
    });
  });

  describe('users', () => {
    it('creates a user and finds it by id and by username regardless of case', async () => {
      const id = newUserId();
      const username = `Alice_${id.slice(1, 9)}`;
      expect(await users.create({ id, username, passwordHash: 'hash' })).toEqual({ id, username });

      const expected = { id, username, passwordHash: 'hash' };
      expect(await users.findById(id)).toEqual(expected);
      expect(await users.findByUsername(username)).toEqual(expected);
      expect(await users.findByUsername(username.toUpperCase())).toEqual(expected);
      expect(await users.findByUsername(username.toLowerCase())).toEqual(expected);
    });

    it('returns undefined for unknown users', async () => {
      expect(await users.findById(newUserId())).toBeUndefined();
      expect(await users.findByUsername(`nobody_${newUserId()}`)).toBeUndefined();
    });

    it('keeps a null password hash (guests)', async () => {
      const guest = await newUser('guest');
      expect((await users.findById(guest.id))!.passwordHash).toBeNull();
    });

    it('rejects a taken username, in any case, with CONFLICT', async () => {
      const first = await newUser('bob');
      for (const username of [first.username, first.username.toUpperCase()]) {
        const attempt = users.create({ id: newUserId(), username, passwordHash: null });
        await expect(attempt).rejects.toBeInstanceOf(ChatError);
        await expect(attempt).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
      }
      expect((await users.findByUsername(first.username))!.id).toBe(first.id);
    });
  });

  describe('rooms', () => {
    it('creates a room with its creator as the only member, owner', async () => {
      const owner = await newUser();
      const id = newRoomId();
      const room = await rooms.create({ id, name: 'general', topic: 'hello', kind: 'private', createdBy: owner.id });
      expect(room).toEqual({
        id,
        name: 'general',
        topic: 'hello',
        kind: 'private',
        createdBy: owner.id,
        createdAt: expect.any(String),
        lastSeq: 0,
        memberCount: 1,
      });
      expect(new Date(room.createdAt).toISOString()).toBe(room.createdAt);
      expect(Math.abs(Date.now() - Date.parse(room.createdAt))).toBeLessThan(60_000);
      expect(await rooms.findById(id)).toEqual(room);
      expect(await rooms.members(id)).toEqual([{ id: owner.id, username: owner.username, role: 'owner' }]);
      expect(await rooms.findById(newRoomId())).toBeUndefined();
    });

    it('rejects a second room with the same id (a DM created twice)', async () => {
      const owner = await newUser();
      const room = await newRoom(owner, 'dm');
      await expect(rooms.create({ id: room.id, name: 'again', topic: '', kind: 'dm', createdBy: owner.id })).rejects.toThrow();
      expect(await rooms.findById(room.id)).toEqual(room);
    });

    it('adds members idempotently and keeps member_count', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const carol = await newUser('carol');
      const room = await newRoom(owner);

      const added = await rooms.addMember(room.id, bob.id);
      expect(added.added).toBe(true);
      expect(added.room.memberCount).toBe(2);

      const again = await rooms.addMember(room.id, bob.id, 'moderator');
      expect(again.added).toBe(false);
      expect(again.room.memberCount).toBe(2);

      expect((await rooms.addMember(room.id, carol.id, 'moderator')).room.memberCount).toBe(3);
      expect(await rooms.members(room.id)).toEqual([
        { id: owner.id, username: owner.username, role: 'owner' },
        { id: bob.id, username: bob.username, role: 'member' },
        { id: carol.id, username: carol.username, role: 'moderator' },
      ]);
      expect(await rooms.memberStates(room.id)).toEqual(
        new Map([
          [owner.id, { role: 'owner', mutedUntil: null }],
          [bob.id, { role: 'member', mutedUntil: null }],
          [carol.id, { role: 'moderator', mutedUntil: null }],
        ]),
      );
      expect((await rooms.findById(room.id))!.memberCount).toBe(3);
    });

    it('removes members idempotently and keeps member_count', async () => {
      const owner = await newUser();
      const bob = await newUser('bob');
      const stranger = await newUser('stranger');
      const room = await newRoom(owner);
      await rooms.addMember(room.id, bob.id);

      expect(await rooms.removeMember(room.id, bob.id)).toBe(true);
      expect((await rooms.findById(room.id))!.memberCount).toBe(1);
      expect(await rooms.removeMember(room.id, bob.id)).toBe(false);
      expect(await rooms.removeMember(room.id, stranger.id)).toBe(false);
      expect((await rooms.findById(room.id))!.memberCount).toBe(1);
      expect((await rooms.members(room.id)).map((m) => m.id)).toEqual([owner.id]);

      // And back in.
      expect((await rooms.addMember(room.id, bob.id)).room.memberCount).toBe(2);
    });

    it('keeps member_count equal to the membership rows under concurrent joins and leaves', async () => {
      const owner = await newUser();
      const room = await newRoom(owner);
      const people = await Promise.all(range(1, 8).map(() => newUser('crowd')));
      await Promise.all(people.map((p) => rooms.addMember(room.id, p.id)));
      await Promise.all([...people.map((p) => rooms.addMember(room.id, p.id)), ...people.slice(0, 3).map((p) => rooms.removeMember(room.id, p.id))]);
      const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM room_members WHERE room_id = $1', [room.id]);
      expect((await rooms.findById(room.id))!.memberCount).toBe(Number(count[0].n));
    });

    it('lists the rooms of a user', async () => {
      const alice = await newUser('alice');
      const bob = await newUser('bob');
      const own = await newRoom(alice);
      const joined = await newRoom(bob, 'private');
      const notJoined = await newRoom(bob);
      await rooms.addMember(joined.id, alice.id);

      expect((await rooms.roomIdsOf(alice.id)).sort()).toEqual([own.id, joined.id].sort());
      expect((await rooms.roomIdsOf(bob.id)).sort()).toEqual([joined.id, notJoined.id].sort());
      expect(await rooms.roomIdsOf(newUserId())).toEqual([]);
    });

    it("lists public rooms and the user's own private rooms and DMs, with unread counts from seqs", async () => {
      const alice = await newUser('alice');
      const bob = await newUser('bob');
      const publicJoined = await newRoom(bob, 'public', 'pub-joined');
      const publicOther = await newRoom(bob, 'public', 'pub-other');
      const privateJoined = await newRoom(bob, 'private', 'priv-joined');
      const privateOther = await newRoom(bob, 'private', 'priv-other');
      const dm = await newRoom(alice, 'dm', 'dm');
      const dmOther = await newRoom(bob, 'dm', 'dm-other');
      await rooms.addMember(publicJoined.id, alice.id);
      await rooms.addMember(privateJoined.id, alice.id);

      // Seqs only: unread = last_seq − last_read_seq, set directly.
      await db.query('UPDATE rooms SET last_seq = $2 WHERE id = $1', [publicJoined.id, 10]);
      await db.query('UPDATE rooms SET last_seq = $2 WHERE id = $1', [publicOther.id, 7]);
      await db.query('UPDATE rooms SET last_seq = $2 WHERE id = $1', [privateJoined.id, 5]);
      await db.query('UPDATE rooms SET last_seq = $2 WHERE id = $1', [dm.id, 3]);
      await db.query('UPDATE room_members SET last_read_seq = $3 WHERE room_id = $1 AND user_id = $2', [publicJoined.id, alice.id, 4]);
      await db.query('UPDATE room_members SET last_read_seq = $3 WHERE room_id = $1 AND user_id = $2', [privateJoined.id, alice.id, 5]);
      // A read marker ahead of last_seq never gives a negative count.
      await db.query('UPDATE room_members SET last_read_seq = $3 WHERE room_id = $1 AND user_id = $2', [dm.id, alice.id, 9]);

      const listing = await rooms.listFor(alice.id);
      const mine = new Set([publicJoined.id, publicOther.id, privateJoined.id, privateOther.id, dm.id, dmOther.id]);
      const byId = new Map(listing.filter((r) => mine.has(r.id)).map((r) => [r.id, r]));

      expect([...byId.keys()].sort()).toEqual([publicJoined.id, publicOther.id, privateJoined.id, dm.id].sort());
      expect(byId.get(publicJoined.id)).toMatchObject({ joined: true, unread: 6, lastSeq: 10, kind: 'public', memberCount: 2 });
      expect(byId.get(publicOther.id)).toMatchObject({ joined: false, unread: 0, lastSeq: 7 });
      expect(byId.get(privateJoined.id)).toMatchObject({ joined: true, unread: 0, kind: 'private' });
      expect(byId.get(dm.id)).toMatchObject({ joined: true, unread: 0, kind: 'dm' });
      for (const room of listing) {
        expect(typeof room.unread).toBe('number');
        expect(typeof room.joined).toBe('boolean');
        expect(room.kind === 'public' || room.joined).toBe(true);
      }

      // Bob sees his own private room but not Alice's DM.
      const bobs = new Set((await rooms.listFor(bob.id)).map((r) => r.id));
      expect(bobs.has(privateOther.id)).toBe(true);
      expect(bobs.has(dmOther.id)).toBe(true);
      expect(bobs.has(dm.id)).toBe(false);
    });

    it('unread follows appended messages', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      await messages.appendBatch(range(1, 4).map((i) => draft(room.id, alice, `u${i}`)));
      await db.query('UPDATE room_members SET last_read_seq = 1 WHERE room_id = $1 AND user_id = $2', [room.id, alice.id]);
      expect((await rooms.listFor(alice.id)).find((r) => r.id === room.id)).toMatchObject({ unread: 3, lastSeq: 4 });
    });
  });

  describe('messages.appendBatch', () => {
    it('returns [] for an empty batch', async () => {
      expect(await messages.appendBatch([])).toEqual([]);
    });

    it('gives one room gapless seqs 1..n across several batches, outcomes in draft order', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const sizes = [3, 1, 5, 2];
      const all: Message[] = [];
      let k = 0;
      for (const size of sizes) {
        const batch = range(1, size).map(() => draft(room.id, alice, `m${++k}`));
        const outcomes = await messages.appendBatch(batch);
        expect(outcomes.map((o) => o.created)).toEqual(new Array(size).fill(true));
        expect(outcomes.map((o) => o.message.clientMsgId)).toEqual(batch.map((d) => d.clientMsgId));
        all.push(...outcomes.map((o) => o.message));
      }
      expect(all.map((m) => m.seq)).toEqual(range(1, 11));
      expect(all.map((m) => m.id)).toEqual(range(1, 11).map((s) => `${room.id}:${s}`));
      expect(await lastSeqOf(room.id)).toBe(11);
      expect(await seqsInDb(room.id)).toEqual(range(1, 11));
    });

    it('returns complete Message objects', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const [first] = await messages.appendBatch([draft(room.id, alice, 'a', 'hello "world" ✓')]);
      const [reply] = await messages.appendBatch([{ ...draft(room.id, alice, 'b', 'reply'), replyTo: first.message.id }]);
      expect(Message.parse(first.message)).toEqual(first.message);
      expect(first.message).toEqual({
        id: `${room.id}:1`,
        roomId: room.id,
        seq: 1,
        author: { id: alice.id, username: alice.username },
        text: 'hello "world" ✓',
        createdAt: expect.any(String),
        clientMsgId: 'a',
        reactions: [],
        attachments: [],
      });
      expect(new Date(first.message.createdAt).toISOString()).toBe(first.message.createdAt);
      expect(reply.message.replyTo).toBe(first.message.id);
    });

    it('numbers several rooms in one batch independently, in draft order', async () => {
      const alice = await newUser('alice');
      const a = await newRoom(alice);
      const b = await newRoom(alice);
      await messages.appendBatch([draft(b.id, alice, 'b0')]);
      const outcomes = await messages.appendBatch([
        draft(a.id, alice, 'a1'),
        draft(b.id, alice, 'b1'),
        draft(a.id, alice, 'a2'),
        draft(b.id, alice, 'b2'),
        draft(a.id, alice, 'a3'),
      ]);
      expect(outcomes.map((o) => [o.message.roomId, o.message.seq, o.message.clientMsgId])).toEqual([
        [a.id, 1, 'a1'],
        [b.id, 2, 'b1'],
        [a.id, 2, 'a2'],
        [b.id, 3, 'b2'],
        [a.id, 3, 'a3'],
      ]);
      expect(await lastSeqOf(a.id)).toBe(3);
      expect(await lastSeqOf(b.id)).toBe(3);
    });

    it('is idempotent by (author, clientMsgId) across batches: the first message comes back, no seq is used', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const [first] = await messages.appendBatch([draft(room.id, alice, 'same', 'original')]);
      expect(first.created).toBe(true);

      const outcomes = await messages.appendBatch([draft(room.id, alice, 'same', 'retry with other text'), draft(room.id, alice, 'next')]);
      expect(outcomes[0]).toEqual({ message: first.message, created: false });
      expect(outcomes[1].created).toBe(true);
      expect(outcomes[1].message.seq).toBe(2);

      // A batch of nothing but retries creates nothing.
      const retry = await messages.appendBatch([draft(room.id, alice, 'same'), draft(room.id, alice, 'next')]);
      expect(retry.map((o) => [o.created, o.message.seq])).toEqual([
        [false, 1],
        [false, 2],
      ]);
      expect(await lastSeqOf(room.id)).toBe(2);
      expect(await seqsInDb(room.id)).toEqual([1, 2]);
    });

    it('is idempotent within one batch: a later duplicate returns the first with created=false and takes no seq', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const outcomes = await messages.appendBatch([
        draft(room.id, alice, 'x', 'first'),
        draft(room.id, alice, 'x', 'duplicate'),
        draft(room.id, alice, 'y'),
        draft(room.id, alice, 'x', 'third copy'),
      ]);
      expect(outcomes.map((o) => o.created)).toEqual([true, false, true, false]);
      expect(outcomes.map((o) => o.message.seq)).toEqual([1, 1, 2, 1]);
      expect(outcomes[1].message).toEqual(outcomes[0].message);
      expect(outcomes[3].message.text).toBe('first');
      expect(await lastSeqOf(room.id)).toBe(2);
      expect(await seqsInDb(room.id)).toEqual([1, 2]);
    });

    it('scopes clientMsgId to its author', async () => {
      const alice = await newUser('alice');
      const bob = await newUser('bob');
      const room = await newRoom(alice);
      await rooms.addMember(room.id, bob.id);
      const outcomes = await messages.appendBatch([draft(room.id, alice, 'c1'), draft(room.id, bob, 'c1')]);
      expect(outcomes.map((o) => [o.created, o.message.seq, o.message.author.id])).toEqual([
        [true, 1, alice.id],
        [true, 2, bob.id],
      ]);
    });

    it('writes nothing when any draft fails (one transaction)', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      await messages.appendBatch([draft(room.id, alice, 'before')]);
      await expect(messages.appendBatch([draft(room.id, alice, 'ok'), draft(newRoomId(), alice, 'no-such-room')])).rejects.toThrow();
      expect(await lastSeqOf(room.id)).toBe(1);
      expect(await seqsInDb(room.id)).toEqual([1]);
      // The failed batch's good draft was not kept: a retry creates it with the next seq.
      const [retry] = await messages.appendBatch([draft(room.id, alice, 'ok')]);
      expect([retry.created, retry.message.seq]).toEqual([true, 2]);
    });

    it('the one-statement fast path also writes nothing when a room of the batch is missing', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      await messages.appendBatch([draft(room.id, alice, 'before')]);
      const batch = [draft(room.id, alice, 'fast-ok'), draft(newRoomId(), alice, 'fast-missing'), draft(room.id, alice, 'fast-ok2')];
      await expect(messages.appendBatch(batch, { mayExist: false })).rejects.toMatchObject({ code: 'CHA01' });
      // No seq was reserved, no row inserted, no read marker moved.
      expect(await lastSeqOf(room.id)).toBe(1);
      expect(await seqsInDb(room.id)).toEqual([1]);
    });

    it('gives concurrent batches for one room gapless unique seqs (10 batches at once)', async () => {
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const batches = range(0, 9).map((b) => range(1, 5).map((i) => draft(room.id, alice, `b${b}-m${i}`)));
      const results = await Promise.all(batches.map((batch) => messages.appendBatch(batch)));

      const seqs = results.flat().map((o) => o.message.seq);
      expect(results.flat().every((o) => o.created)).toBe(true);
      expect([...seqs].sort((a, b) => a - b)).toEqual(range(1, 50));
      // Each batch got a contiguous block, in draft order.
      for (const outcomes of results) {
        const own = outcomes.map((o) => o.message.seq);
        expect(own).toEqual(range(own[0], own[0] + 4));
      }
      expect(await lastSeqOf(room.id)).toBe(50);
      expect(await seqsInDb(room.id)).toEqual(range(1, 50));
    });

    it('gives concurrent batches over the same rooms, in any order, gapless seqs', async () => {
      const alice = await newUser('alice');
      const roomList = await Promise.all(range(1, 4).map(() => newRoom(alice)));
      // Each batch touches every room, in a different order: writers must not deadlock.
      const batches = range(0, 7).map((b) => {
        const order = b % 2 ? [...roomList].reverse() : roomList;
        return order.map((r, i) => draft(r.id, alice, `b${b}-r${i}`));
      });
      const results = await Promise.all(batches.map((batch) => messages.appendBatch(batch)));
      expect(results.flat()).toHaveLength(32);
      for (const room of roomList) {
        expect(await seqsInDb(room.id)).toEqual(range(1, 8));
        expect(await lastSeqOf(room.id)).toBe(8);
      }
    });
  });

  describe('shard fences', () => {
    const fenceOf = (shard: number, epoch: number, valid = true) => ({
      shard,
      epoch,
      assertValid: jest.fn(() => {
        if (!valid) throw Object.assign(new Error('lease deadline passed'), { fenced: true });
      }),
    });
    let shard = 1000;

    it('advance gives each acquisition a higher epoch', async () => {
      const fences = new ShardFenceRepository(db);
      shard++;
      expect(await fences.advance(shard)).toBe(1);
      expect(await fences.advance(shard)).toBe(2);
      expect(await fences.advance(shard + 5000)).toBe(1);
    });

    it('appends under the current epoch, on both paths', async () => {
      const fences = new ShardFenceRepository(db);
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const epoch = await fences.advance(++shard);
      const fence = fenceOf(shard, epoch);
      await messages.appendBatch([draft(room.id, alice, 'f1')], { mayExist: false, fence });
      await messages.appendBatch([draft(room.id, alice, 'f2')], { mayExist: true, fence });
      expect(await seqsInDb(room.id)).toEqual([1, 2]);
      expect(fence.assertValid).toHaveBeenCalled();
    });

    it('refuses a former owner (stale epoch) with CHF01 and writes nothing, on both paths', async () => {
      const fences = new ShardFenceRepository(db);
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const old = await fences.advance(++shard);
      await fences.advance(shard); // a new owner took the shard
      for (const mayExist of [false, true]) {
        await expect(messages.appendBatch([draft(room.id, alice, `stale-${mayExist}`)], { mayExist, fence: fenceOf(shard, old) })).rejects.toMatchObject({
          code: FENCED_SQLSTATE,
        });
      }
      await expect(fencedTransaction(db, fenceOf(shard, old), (tx) => tx.query('SELECT 1'))).rejects.toMatchObject({ code: FENCED_SQLSTATE });
      expect(await seqsInDb(room.id)).toEqual([]);
      expect(await lastSeqOf(room.id)).toBe(0);
    });

    it('does not even send the write when the local lease deadline has passed', async () => {
      const fences = new ShardFenceRepository(db);
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const epoch = await fences.advance(++shard);
      await expect(messages.appendBatch([draft(room.id, alice, 'late')], { mayExist: false, fence: fenceOf(shard, epoch, false) })).rejects.toMatchObject({ fenced: true });
      expect(await seqsInDb(room.id)).toEqual([]);
    });

    it('a fenced transaction is ambient: repository calls inside it roll back with it', async () => {
      const fences = new ShardFenceRepository(db);
      const alice = await newUser('alice');
      const room = await newRoom(alice);
      const epoch = await fences.advance(++shard);
      await expect(
        fencedTransaction(db, fenceOf(shard, epoch), async () => {
          await messages.appendBatch([draft(room.id, alice, 'inside')]);
          await rooms.setMute(room.id, alice.id, new Date(Date.now() + 60_000));
          throw new Error('the op failed after its writes');
        }),
      ).rejects.toThrow('the op failed');
      expect(await seqsInDb(room.id)).toEqual([]);
      expect((await rooms.memberStates(room.id)).get(alice.id)?.mutedUntil).toBeNull();
    });
  });

  describe('messages.history and since', () => {
    let room: string;

    beforeAll(async () => {
      const alice = await newUser('alice');
      room = (await newRoom(alice)).id;
      // 25 messages over three batches.
      await messages.appendBatch(range(1, 10).map((i) => draft(room, alice, `h${i}`, `message ${i}`)));
      await messages.appendBatch(range(11, 20).map((i) => draft(room, alice, `h${i}`, `message ${i}`)));
      await messages.appendBatch(range(21, 25).map((i) => draft(room, alice, `h${i}`, `message ${i}`)));
    });

    const seqs = (list: Message[]) => list.map((m) => m.seq);

    it('pages back from the latest, oldest first, with hasMore', async () => {
      const latest = await messages.history(room, undefined, 10);
      expect(seqs(latest.messages)).toEqual(range(16, 25));
      expect(latest.hasMore).toBe(true);
      expect(latest.messages[0].text).toBe('message 16');

      const older = await messages.history(room, 16, 10);
      expect(seqs(older.messages)).toEqual(range(6, 15));
      expect(older.hasMore).toBe(true);

      const oldest = await messages.history(room, 6, 10);
      expect(seqs(oldest.messages)).toEqual(range(1, 5));
      expect(oldest.hasMore).toBe(false);
    });

    it('says hasMore=false when the page ends exactly at seq 1', async () => {
      expect(await messages.history(room, 11, 10)).toMatchObject({ hasMore: false });
      expect(seqs((await messages.history(room, 11, 10)).messages)).toEqual(range(1, 10));
      const all = await messages.history(room, undefined, 25);
      expect(seqs(all.messages)).toEqual(range(1, 25));
      expect(all.hasMore).toBe(false);
      expect((await messages.history(room, undefined, 24)).hasMore).toBe(true);
    });

    it('returns everything under a large limit, and nothing before seq 1 or in an empty room', async () => {
      expect(seqs((await messages.history(room, undefined, 100)).messages)).toEqual(range(1, 25));
      expect(await messages.history(room, 1, 10)).toEqual({ messages: [], hasMore: false });
      expect(await messages.history(newRoomId(), undefined, 10)).toEqual({ messages: [], hasMore: false });
    });

    it('honours beforeSeq past the end', async () => {
      expect(seqs((await messages.history(room, 1000, 3)).messages)).toEqual([23, 24, 25]);
    });

    it('since: what came after a seq, oldest first', async () => {
      expect(await messages.since(room, 20, 100)).toMatchObject({ truncated: false });
      expect(seqs((await messages.since(room, 20, 100)).messages)).toEqual(range(21, 25));
      expect(await messages.since(room, 25, 100)).toEqual({ messages: [], truncated: false });
      expect(seqs((await messages.since(room, 15, 10)).messages)).toEqual(range(16, 25));
      expect((await messages.since(room, 15, 10)).truncated).toBe(false);
    });

    it('since: truncates to the newest `limit` when more were missed', async () => {
      const result = await messages.since(room, 0, 10);
      expect(seqs(result.messages)).toEqual(range(16, 25));
      expect(result.truncated).toBe(true);
      const one = await messages.since(room, 14, 10);
      expect(seqs(one.messages)).toEqual(range(16, 25));
      expect(one.truncated).toBe(true);
    });
  });
});
