import { Message, RoomKind, User, newRoomId } from '@chat/protocol';
import { ChatEvent, SearchIndex, SearchQueries, SearchRequest } from '@chat/search';
import { Database, MessageRepository, RoomRepository, UserRepository } from '@chat/store';
import { ENGINE_NAMES, newTestUser, TestDatabases } from '../support/engines';

/**
 * libs/search on both engines (embedded PGlite and a real PostgreSQL server, a fresh database
 * per run): the index fed by chat events, the queries against the system of record.
 */
const databases = new TestDatabases();
const ENGINES = ENGINE_NAMES.map((name) => ({ name, open: () => databases.open(name, 'search') }));

describe.each(ENGINES)('search on $name', (engine) => {
  let db: Database;
  let users: UserRepository;
  let rooms: RoomRepository;
  let messages: MessageRepository;
  let index: SearchIndex;
  let queries: SearchQueries;

  beforeAll(async () => {
    db = await engine.open();
    users = new UserRepository(db);
    rooms = new RoomRepository(db);
    messages = new MessageRepository(db);
    index = new SearchIndex(db);
    queries = new SearchQueries(db);
  });

  afterAll(() => databases.closeAll());

  // Every test makes its own users and rooms; search only sees a user's rooms, so tests share the database safely.
  let counter = 0;
  const newUser = (name?: string): Promise<User> => newTestUser(users, name);
  async function newRoom(owner: User, kind: RoomKind = 'public', ...members: User[]) {
    const room = await rooms.create({ id: newRoomId(), name: 'room', topic: '', kind, createdBy: owner.id });
    for (const m of members) await rooms.addMember(room.id, m.id);
    return room;
  }
  /** Stores messages as the messages service does, without indexing them. */
  async function store(roomId: string, author: User, ...texts: string[]): Promise<Message[]> {
    const outcomes = await messages.appendBatch(
      texts.map((text) => ({ roomId, authorId: author.id, authorName: author.username, text, clientMsgId: `c${++counter}` })),
    );
    return outcomes.map((o) => o.message);
  }
  const created = (message: Message): ChatEvent => ({ type: 'message.created', data: { message } });
  const updated = (message: Message): ChatEvent => ({ type: 'message.updated', data: { message } });
  const deleted = (m: Message): ChatEvent => ({ type: 'message.deleted', data: { roomId: m.roomId, seq: m.seq, id: m.id } });
  /** Stores and indexes (one event batch). */
  async function send(roomId: string, author: User, ...texts: string[]): Promise<Message[]> {
    const stored = await store(roomId, author, ...texts);
    await index.apply(stored.map(created));
    return stored;
  }
  const search = (user: User, query: string, more: Omit<SearchRequest, 'query'> = {}) => queries.search(user.id, { query, ...more });
  const texts = async (user: User, query: string, more: Omit<SearchRequest, 'query'> = {}) =>
    (await search(user, query, more)).hits.map((h) => h.message.text);

  it('finds a message by its words, returns the stored message, and marks the words in the highlight', async () => {
    const alice = await newUser('alice');
    const room = await newRoom(alice);
    const [target] = await send(room.id, alice, 'We deploy on Friday after the review', 'lunch at noon');
    const { hits } = await search(alice, 'deploy friday');
    expect(hits).toHaveLength(1);
    expect(hits[0].message).toEqual(target);
    expect(hits[0].highlight).toBe('We «deploy» on «Friday» after the review');
    expect(hits[0].score).toBeGreaterThanOrEqual(1);
  });

  it('ranks by relevance, then newest first among equals', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const [older, , loose, newer] = await send(
      room.id,
      alice,
      'invoice ready',
      'nothing to see here',
      'the invoice is somewhere in this very long message about many other unrelated things we discussed today at length',
      'invoice ready',
    );
    const { hits } = await search(alice, 'invoice');
    expect(hits.map((h) => h.message.id)).toEqual([newer.id, older.id, loose.id]);
    expect(hits[0].score).toBe(hits[1].score);
    expect(hits[1].score).toBeGreaterThan(hits[2].score);
  });

  it('finds a word with one wrong letter (trigrams), ranked after exact matches', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    await send(room.id, alice, 'the deployment failed again', 'deploymnet typo in the message itself', 'unrelated chatter');
    const { hits } = await search(alice, 'deploymnet');
    expect(hits.map((h) => h.message.text)).toEqual(['deploymnet typo in the message itself', 'the deployment failed again']);
    expect(hits[0].score).toBeGreaterThanOrEqual(1);
    expect(hits[1].score).toBeLessThan(1);
    expect(hits[1].score).toBeGreaterThan(0.5);
    expect(hits[1].highlight).toBe('the «deployment» failed again');
    expect(await texts(alice, 'kubernetis')).toEqual([]);
    await send(room.id, alice, 'kubernetes cluster upgrade');
    expect(await texts(alice, 'kubernetis clustr')).toEqual(['kubernetes cluster upgrade']);
  });

  it('understands websearch syntax: phrases, or, and -excluded words (in both branches)', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    await send(room.id, alice, 'quick brown fox', 'brown quick fox', 'lazy dog', 'quick cat');
    expect(await texts(alice, '"quick brown"')).toEqual(['quick brown fox']);
    expect((await texts(alice, 'fox or dog')).sort()).toEqual(['brown quick fox', 'lazy dog', 'quick brown fox']);
    expect((await texts(alice, 'quick -fox')).sort()).toEqual(['quick cat']);
    // An approximate word with an excluded one: the excluded word rules out the approximate hits too.
    expect(await texts(alice, 'quik -brown')).toEqual(['quick cat']);
    expect(await texts(alice, 'quik -"quick cat" -fox')).toEqual([]);
    // Phrases stay exact in the approximate branch too; `or` queries have no approximate branch.
    expect(await texts(alice, '"quick brown" foxx')).toEqual(['quick brown fox']);
    expect(await texts(alice, 'foxx or dogg')).toEqual([]);
  });

  it('filters by room, author, and creation time', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const r1 = await newRoom(alice, 'public', bob);
    const r2 = await newRoom(alice, 'public', bob);
    const [a1] = await send(r1.id, alice, 'budget meeting');
    const [b1] = await send(r1.id, bob, 'budget draft');
    const [a2] = await send(r2.id, alice, 'budget final');
    const ids = async (more: Omit<SearchRequest, 'query'>) => (await search(alice, 'budget', more)).hits.map((h) => h.message.id).sort();
    expect(await ids({})).toEqual([a1.id, a2.id, b1.id].sort());
    expect(await ids({ roomId: r1.id })).toEqual([a1.id, b1.id].sort());
    expect(await ids({ authorId: alice.id })).toEqual([a1.id, a2.id].sort());
    expect(await ids({ roomId: r1.id, authorId: bob.id })).toEqual([b1.id]);

    // Times: make the three messages an hour apart (index rows only: the filter reads the index).
    const base = Date.parse('2026-01-01T10:00:00.000Z');
    for (const [i, m] of [a1, b1, a2].entries()) {
      await db.query('UPDATE search_messages SET created_at = $3 WHERE room_id = $1 AND seq = $2', [m.roomId, m.seq, new Date(base + i * 3_600_000).toISOString()]);
    }
    expect(await ids({ before: '2026-01-01T11:00:00Z' })).toEqual([a1.id]);
    expect(await ids({ after: '2026-01-01T11:00:00Z' })).toEqual([a2.id]);
    expect(await ids({ after: '2026-01-01T09:00:00Z', before: '2026-01-01T12:00:00+01:00' })).toEqual([a1.id]);
  });

  it('shows only rooms the user is a member of now: leaving hides them at once', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const room = await newRoom(alice, 'public', bob);
    await send(room.id, alice, 'roadmap for next quarter');
    expect(await texts(bob, 'roadmap')).toHaveLength(1);
    await db.query('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2', [room.id, bob.id]);
    expect(await texts(bob, 'roadmap')).toEqual([]);
    expect(await texts(bob, 'roadmap', { roomId: room.id })).toEqual([]);
    expect(await texts(bob, 'roadmp')).toEqual([]);
  });

  it("never lets a private room's text reach a non-member, through any filter or branch", async () => {
    const owner = await newUser();
    const outsider = await newUser();
    const secret = await newRoom(owner, 'private');
    const open = await newRoom(owner, 'public', outsider);
    await send(secret.id, owner, 'password hunter2 launch codes');
    await send(open.id, owner, 'public launch announcement');
    for (const query of ['password', 'hunter2', 'pasword', 'launch codes', '"launch codes"', 'launch or password', '-nothing', 'codes -public']) {
      for (const more of [{}, { roomId: secret.id }, { authorId: owner.id }, { roomId: secret.id, authorId: owner.id }, { limit: 50 }]) {
        const { hits } = await search(outsider, query, more);
        expect(hits.filter((h) => h.message.roomId === secret.id)).toEqual([]);
      }
    }
    expect(await texts(owner, 'hunter2')).toEqual(['password hunter2 launch codes']);
  });

  it('re-indexes edits: the new words are found, the old ones not, and the hit carries editedAt and reactions', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const [m] = await send(room.id, alice, 'meet at the harbour');
    const edited = (await messages.edit(room.id, m.seq, 'meet at the station'))!;
    expect(await index.apply([updated(edited)])).toEqual({ indexed: 1, deleted: 0 });
    expect(await texts(alice, 'harbour')).toEqual([]);
    await messages.react(room.id, m.seq, alice.id, '👍', true);
    const { hits } = await search(alice, 'station');
    expect(hits).toHaveLength(1);
    expect(hits[0].message.editedAt).toBe(edited.editedAt);
    expect(hits[0].message.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [alice.id] }]);
  });

  it('removes deleted messages, and a late created/updated event does not bring them back', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const [m] = await send(room.id, alice, 'temporary secret note');
    await messages.softDelete(room.id, m.seq);
    expect(await index.apply([deleted(m)])).toEqual({ indexed: 0, deleted: 1 });
    expect(await texts(alice, 'temporary')).toEqual([]);
    const later = { ...m, text: 'temporary secret note edited', editedAt: new Date(Date.now() + 60_000).toISOString() };
    expect(await index.apply([created(m), updated(later), deleted(m)])).toEqual({ indexed: 0, deleted: 0 });
    expect(await texts(alice, 'temporary')).toEqual([]);
    const [row] = await db.query<{ text: string; deleted: boolean }>('SELECT text, deleted FROM search_messages WHERE room_id = $1 AND seq = $2', [room.id, m.seq]);
    expect(row).toEqual({ text: '', deleted: true });
  });

  it('applies duplicated and out-of-order events idempotently', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const [m1, m2] = await store(room.id, alice, 'alpha version one', 'beta original');
    const v2 = (await messages.edit(room.id, m1.seq, 'alpha version two'))!;
    // The update arrives first, then the creation (older), then both again.
    expect(await index.apply([updated(v2)])).toEqual({ indexed: 1, deleted: 0 });
    expect(await index.apply([created(m1)])).toEqual({ indexed: 0, deleted: 0 });
    expect(await index.apply([updated(v2), created(m1)])).toEqual({ indexed: 0, deleted: 0 });
    expect(await texts(alice, 'alpha')).toEqual(['alpha version two']);
    // One batch with every event of a message twice, in any order: one row, the newest version.
    const deleted2 = (await messages.softDelete(room.id, m2.seq))!;
    expect(await index.apply([deleted(deleted2), created(m2), created(m2), { type: 'member.joined', data: { roomId: room.id, userId: alice.id } }])).toEqual({
      indexed: 0,
      deleted: 1,
    });
    expect(await texts(alice, 'beta')).toEqual([]);
    expect(await index.apply([{ type: 'member.left', data: { roomId: room.id, userId: alice.id, reason: 'left' } }])).toEqual({ indexed: 0, deleted: 0 });
  });

  it('never throws on query syntax, whatever the characters', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    await send(room.id, alice, "it's a (tricky) message: with & and | and ! and \\ and \"quotes\"");
    const nasty = [
      '"', '""', '"""', '-', '--', '- -', '&', '&&', '|', '||', '!', '!!', ':*', 'a:*', '(', ')', '()', '((a)', '\\', '\\\\', "'", "''",
      '"unbalanced', 'unbalanced"', 'a & | b', '!(a | b)', '<->', 'a <-> b', '<2>', 'or', 'OR', 'or or or', '-or', 'and', 'not',
      '"-"', '-"', ':', '*', '%', '_', '$1', '?', ';', "'; DROP TABLE messages; --", '\u0000', '\u0000tricky', '«»', '‹›',
      '\u200b', '\ud800', '😀', 'tricky\\', '"tricky', 'tricky -', 'tricky:*', 'trick:* & mess:B', 'x'.repeat(600), '"'.repeat(501),
      'a '.repeat(250), '-'.repeat(500), '- '.repeat(40), '-! '.repeat(40), '-& '.repeat(40), '-( '.repeat(40), '-\u3000'.repeat(40),
      '-\u00a0'.repeat(40), '-a '.repeat(40), '-"a" '.repeat(40), 'a-'.repeat(100),
    ];
    for (const query of nasty) {
      await expect(search(alice, query)).resolves.toEqual({ hits: expect.any(Array) });
      await expect(search(alice, query, { roomId: room.id, authorId: alice.id })).resolves.toEqual({ hits: expect.any(Array) });
    }
    expect(await texts(alice, 'tricky')).toHaveLength(1);
    expect(await texts(alice, '"tricky message"')).toHaveLength(1);
  });

  it("shows the message's own « » as ‹ › so every « » of a highlight is a marker", async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    await send(room.id, alice, 'he said «bonjour» twice');
    const [hit] = (await search(alice, 'bonjour')).hits;
    expect(hit.highlight).toBe('he said ‹«bonjour»› twice');
    expect(hit.message.text).toBe('he said «bonjour» twice');
  });

  it('keeps text that looks like HTML in the highlight, as written (PostgreSQL would drop it as tags)', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    await send(room.id, alice, 'the zebra crossed <b>here</b>, then <script>alert(1)</script> and a < b > c');
    const [hit] = (await search(alice, 'zebra')).hits;
    expect(hit.highlight).toBe('the «zebra» crossed <b>here</b>, then <script>alert(1)</script> and a < b > c');
  });

  it('returns at most `limit` hits, 20 by default, 50 at most', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    await send(room.id, alice, ...Array.from({ length: 60 }, (_, i) => `repeated word number ${i}`));
    expect((await search(alice, 'repeated')).hits).toHaveLength(20);
    expect((await search(alice, 'repeated', { limit: 5 })).hits).toHaveLength(5);
    expect((await search(alice, 'repeated', { limit: 500 })).hits).toHaveLength(50);
  });

  it('reindex rebuilds the index from the messages table, in batches', async () => {
    const alice = await newUser();
    const room = await newRoom(alice);
    const stored = await store(room.id, alice, 'zeppelin one', 'zeppelin two', 'zeppelin three', 'zeppelin four', 'zeppelin five');
    await messages.edit(room.id, stored[1].seq, 'zeppelin deux');
    await messages.softDelete(room.id, stored[2].seq);
    // Nothing indexed yet; a stray index row whose message is gone must be swept.
    await db.query(`INSERT INTO search_messages (room_id, seq, message_id, author_id, author_name, text, created_at)
                    VALUES ($1, 9999, $2, $3, 'x', 'zeppelin ghost', now())`, [room.id, `${room.id}:9999`, alice.id]);
    expect(await texts(alice, 'zeppelin')).toEqual([]); // the ghost has no message to show
    const progress: number[] = [];
    const result = await index.reindex({ batchSize: 2, onBatch: (p) => progress.push(p.messages) });
    expect(result.messages).toBeGreaterThanOrEqual(5);
    expect(result.removed).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeGreaterThan(2);
    expect((await texts(alice, 'zeppelin')).sort()).toEqual(['zeppelin deux', 'zeppelin five', 'zeppelin four', 'zeppelin one']);
    expect(await db.query('SELECT 1 FROM search_messages WHERE room_id = $1 AND seq = 9999', [room.id])).toEqual([]);
    // Events of versions the rebuild already stored are no-ops; a tombstone stays one.
    expect(await index.apply([created(stored[0]), created(stored[2])])).toEqual({ indexed: 0, deleted: 0 });
    expect(await texts(alice, 'three')).toEqual([]);
    // A second rebuild changes nothing that matters.
    await index.reindex();
    expect((await texts(alice, 'zeppelin')).length).toBe(4);
  });
});
