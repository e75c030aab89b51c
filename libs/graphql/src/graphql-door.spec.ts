import { ChatError, ErrorCode, Message, Room } from '@chat/protocol';
import { subscribe } from 'graphql';
import type { ChatReads } from './chat-reads';
import type { ChatSession, SessionEvent } from './chat-session';
import { graphqlContext } from './graphql-context';
import { GraphqlDoor, GraphqlLimits } from './graphql-door';
import { PersistedQueries, PersistedQueryStore, sha256Hex } from './persisted-queries';

const viewer = { id: 'u1', username: 'alice' };
const room: Room = { id: 'r1', name: 'general', topic: '', kind: 'public', createdBy: 'u1', createdAt: '2026-01-01T00:00:00.000Z', lastSeq: 2, memberCount: 1 };
const message = (seq: number, roomId = 'r1'): Message => ({
  id: `${roomId}:${seq}`,
  roomId,
  seq,
  author: viewer,
  text: `m${seq}`,
  createdAt: '2026-01-01T00:00:00.000Z',
  reactions: [],
  attachments: [],
});

class MemoryStore implements PersistedQueryStore {
  readonly queries = new Map<string, string>();
  async get(hash: string) {
    return this.queries.get(hash);
  }
  async set(hash: string, query: string) {
    this.queries.set(hash, query);
  }
}

/** A session that answers ops from a table and lets the test emit events. */
class FakeSession implements ChatSession {
  readonly sent: { op: string; data: unknown }[] = [];
  private readonly listeners = new Set<(e: SessionEvent) => void>();
  constructor(private readonly replies: Record<string, unknown | ChatError>) {}
  async request(op: string, data: unknown): Promise<any> {
    this.sent.push({ op, data });
    const reply = this.replies[op];
    if (reply instanceof ChatError) throw reply;
    return reply;
  }
  onEvent(listener: (e: SessionEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: SessionEvent) {
    for (const l of this.listeners) l(event);
  }
  get listening() {
    return this.listeners.size;
  }
}

function reads(overrides: Partial<ChatReads> = {}): ChatReads {
  return {
    rooms: async () => [{ ...room, unread: 0, joined: true, notify: 'mentions' }],
    room: async (_u, id) => {
      if (id !== 'r1') throw new ChatError(ErrorCode.NOT_FOUND, `room "${id}" not found`);
      return room;
    },
    requireMember: async (_u, id) => {
      if (id !== 'r1') throw new ChatError(ErrorCode.FORBIDDEN, 'only members can read this room');
    },
    history: async (_u, q) => ({ messages: [message(1, q.roomId), message(2, q.roomId)], hasMore: false }),
    members: async () => [{ ...viewer, role: 'owner', presence: 'online' }],
    search: async () => [],
    ...overrides,
  };
}

const limits: GraphqlLimits = { maxDepth: 8, maxCost: 5000, introspection: true };

function setup(options: { limits?: Partial<GraphqlLimits>; reads?: Partial<ChatReads>; replies?: Record<string, unknown> } = {}) {
  const internal: unknown[] = [];
  const store = new MemoryStore();
  const door = new GraphqlDoor({ ...limits, ...options.limits }, new PersistedQueries(store), (e) => internal.push(e));
  const session = new FakeSession(options.replies ?? {});
  const context = () => graphqlContext(viewer, reads(options.reads), async () => session);
  const run = async (request: Record<string, unknown>) => {
    const prepared = await door.prepare(request);
    if (!prepared.ok) return { errors: door.formatErrors(prepared.errors) };
    return door.execute(prepared.prepared, context());
  };
  return { door, session, context, run, internal, store };
}

describe('GraphqlDoor', () => {
  it('answers queries from the reads, with Message.room read once per operation', async () => {
    const room = jest.fn(async () => ({ id: 'r1', name: 'general' }) as Room);
    const { run } = setup({ reads: { room } });
    const result = await run({ query: '{ me { username } messages(roomId: "r1", limit: 2) { messages { seq mentions mentionsRoom room { name } } hasMore } }' });
    expect(result).toEqual({
      data: {
        me: { username: 'alice' },
        messages: {
          messages: [
            { seq: 1, mentions: [], mentionsRoom: false, room: { name: 'general' } },
            { seq: 2, mentions: [], mentionsRoom: false, room: { name: 'general' } },
          ],
          hasMore: false,
        },
      },
    });
    expect(room).toHaveBeenCalledTimes(1);
  });

  it('checks arguments with the ops\' schemas: BAD_REQUEST, and the read is never asked', async () => {
    const history = jest.fn();
    const { run } = setup({ reads: { history } });
    const result = await run({ query: '{ messages(roomId: "r1", limit: 500) { hasMore } }' });
    expect(result.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^bad arguments: limit/), extensions: { code: 'BAD_REQUEST' } })]);
    expect(history).not.toHaveBeenCalled();
  });

  it('maps ChatErrors to extensions.code (with retryAfterMs) and hides other errors as INTERNAL', async () => {
    const { run, internal } = setup({
      reads: {
        members: async () => {
          throw new ChatError(ErrorCode.RATE_LIMITED, 'slow down', 1500);
        },
        search: async () => {
          throw new Error('connection to 10.0.0.3 refused');
        },
      },
    });
    expect((await run({ query: '{ room(id: "nope") { id } }' })).errors).toEqual([
      { message: 'room "nope" not found', locations: [{ line: 1, column: 3 }], path: ['room'], extensions: { code: 'NOT_FOUND' } },
    ]);
    expect((await run({ query: '{ members(roomId: "r1") { id } }' })).errors?.[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterMs: 1500 });
    const hidden = await run({ query: '{ search(query: "x") { score } }' });
    expect(hidden.errors).toEqual([expect.objectContaining({ message: 'internal error', extensions: { code: 'INTERNAL' } })]);
    expect(internal).toEqual([new Error('connection to 10.0.0.3 refused')]);
  });

  it('refuses a bad document before execution: syntax, unknown field, depth, cost, introspection when off', async () => {
    const { run } = setup({ limits: { maxDepth: 3, maxCost: 100, introspection: false } });
    const code = async (query: string) => (await run({ query })).errors?.map((e) => [e.extensions?.code, e.message]);
    expect(await code('{ me { ')).toEqual([['BAD_REQUEST', expect.stringMatching(/^Syntax Error/)]]);
    expect(await code('{ me { password } }')).toEqual([['BAD_REQUEST', expect.stringMatching(/Cannot query field "password"/)]]);
    expect(await code('{ room(id: "r1") { messages(limit: 1) { messages { id } } } }')).toEqual([
      ['BAD_REQUEST', 'the operation nests 4 levels deep; at most 3 are allowed'],
    ]);
    expect(await code('{ rooms { id name } }')).toEqual([['BAD_REQUEST', expect.stringMatching(/may cost 201; at most 100/)]]);
    expect(await code('{ __type(name: "Room") { name } }')).toEqual([
      ['BAD_REQUEST', 'GraphQL introspection has been disabled, but the requested query contained the field "__type".'],
    ]);
    expect(await code('{ __typename }')).toBeUndefined();
  });

  it('introspection answers when on', async () => {
    const { run } = setup();
    const result = await run({ query: '{ __type(name: "RoomEvent") { possibleTypes { name } } }' });
    expect((result.data as any).__type.possibleTypes).toContainEqual({ name: 'MessageCreated' });
  });

  it('needs an operation name when the document has several operations', async () => {
    const { run } = setup();
    const query = 'query A { me { id } } query B { me { username } }';
    expect((await run({ query })).errors?.[0].message).toBe('the document has several operations: name one with operationName');
    expect(await run({ query, operationName: 'B' })).toEqual({ data: { me: { username: 'alice' } } });
    expect((await run({ query, operationName: 'C' })).errors?.[0].message).toBe('the document has no operation named "C"');
    expect((await run({ query, operationName: 'B', variables: [1] })).errors?.[0].message).toBe('variables must be an object');
  });

  describe('persisted queries', () => {
    const query = '{ me { id } }';
    const byHash = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

    it('an unknown hash is PERSISTED_QUERY_NOT_FOUND; the text with its hash registers it; then the hash alone runs it', async () => {
      const { run, store } = setup();
      const hash = sha256Hex(query);
      expect((await run(byHash(hash))).errors).toEqual([expect.objectContaining({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })]);
      expect(await run({ query, ...byHash(hash) })).toEqual({ data: { me: { id: 'u1' } } });
      expect(store.queries.get(hash)).toBe(query);
      expect(await run(byHash(hash))).toEqual({ data: { me: { id: 'u1' } } });
    });

    it('refuses a hash that is not the text\'s (nothing is stored), a malformed hash and another version', async () => {
      const { run, store } = setup();
      const other = sha256Hex('{ me { username } }');
      expect((await run({ query, ...byHash(other) })).errors?.[0]).toMatchObject({ message: expect.stringMatching(/is not the sha256 of the query/), extensions: { code: 'BAD_REQUEST' } });
      expect(store.queries.size).toBe(0);
      expect((await run(byHash('ABC'))).errors?.[0].message).toMatch(/64 lower-case hex digits/);
      expect((await run({ extensions: { persistedQuery: { version: 2, sha256Hash: other } } })).errors?.[0].message).toMatch(/version must be 1/);
      expect((await run({})).errors?.[0].message).toBe('the request has no query');
    });
  });

  describe('mutations', () => {
    it('send the op through the session and answer with its reply', async () => {
      const { run, session } = setup({ replies: { 'message.send': { message: message(3) }, 'reaction.add': {}, 'read.mark': { seq: 3 } } });
      const result = await run({
        query: `mutation($text: String!) {
          sendMessage(roomId: "r1", text: $text, clientMsgId: "c1") { seq text }
          addReaction(messageId: "r1:3", emoji: "👍")
          markRead(roomId: "r1", seq: 3)
        }`,
        variables: { text: 'hello' },
      });
      expect(result).toEqual({ data: { sendMessage: { seq: 3, text: 'm3' }, addReaction: true, markRead: 3 } });
      // In the order written (mutation fields run one after another), replyTo left out as absent.
      expect(session.sent).toEqual([
        { op: 'message.send', data: { roomId: 'r1', text: 'hello', clientMsgId: 'c1' } },
        { op: 'reaction.add', data: { messageId: 'r1:3', emoji: '👍' } },
        { op: 'read.mark', data: { roomId: 'r1', seq: 3 } },
      ]);
    });

    it('an op refused by the service is its code; bad arguments never reach the session', async () => {
      const { run, session } = setup({ replies: { 'room.join': new ChatError(ErrorCode.FORBIDDEN, 'you are banned from this room') } });
      expect((await run({ query: 'mutation { joinRoom(roomId: "r1") { room { id } } }' })).errors?.[0]).toMatchObject({
        message: 'you are banned from this room',
        path: ['joinRoom'],
        extensions: { code: 'FORBIDDEN' },
      });
      expect((await run({ query: 'mutation { sendMessage(roomId: "r1", text: "   ", clientMsgId: "c") { id } }' })).errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(session.sent.map((s) => s.op)).toEqual(['room.join']);
    });
  });

  describe('subscriptions', () => {
    async function subscribed(query: string, options: Parameters<typeof setup>[0] = {}) {
      const { door, session, context } = setup(options);
      const prepared = await door.prepare({ query });
      if (!prepared.ok) throw new Error(String(prepared.errors));
      const result = await subscribe(door.executionArgs(prepared.prepared, context()));
      return { session, result };
    }

    it('messageCreated gets the session\'s message.created of that room only, in order', async () => {
      const { session, result } = await subscribed('subscription { messageCreated(roomId: "r1") { seq } }');
      const stream = result as AsyncIterableIterator<any>;
      session.emit({ type: 'message.created', data: message(1, 'r2') });
      session.emit({ type: 'message.created', data: message(1) });
      session.emit({ type: 'message.updated', data: message(1) });
      session.emit({ type: 'message.created', data: message(2) });
      expect((await stream.next()).value).toEqual({ data: { messageCreated: { seq: 1 } } });
      expect((await stream.next()).value).toEqual({ data: { messageCreated: { seq: 2 } } });
      await stream.return!();
      expect(session.listening).toBe(0);
    });

    it('reads Message.room afresh for each event (a room changes between events)', async () => {
      let lastSeq = 0;
      const { session, result } = await subscribed('subscription { messageCreated(roomId: "r1") { seq room { lastSeq } } }', {
        reads: { room: async () => ({ ...room, lastSeq: ++lastSeq }) },
      });
      const stream = result as AsyncIterableIterator<any>;
      session.emit({ type: 'message.created', data: message(1) });
      session.emit({ type: 'message.created', data: message(2) });
      expect((await stream.next()).value.data.messageCreated).toEqual({ seq: 1, room: { lastSeq: 1 } });
      expect((await stream.next()).value.data.messageCreated).toEqual({ seq: 2, room: { lastSeq: 2 } });
    });

    it('roomEvents gives every event of the room as the union', async () => {
      const { session, result } = await subscribed(`subscription { roomEvents(roomId: "r1") {
        __typename ... on MessageCreated { message { seq } } ... on MessageDeleted { seq deletedBy } ... on TypingUpdate { userIds } } }`);
      const stream = result as AsyncIterableIterator<any>;
      session.emit({ type: 'message.created', data: message(1) });
      session.emit({ type: 'presence.updated', data: { userId: 'u2', status: 'away' } });
      session.emit({ type: 'message.deleted', data: { id: 'r1:1', roomId: 'r1', seq: 1, deletedBy: 'u1' } });
      session.emit({ type: 'typing.updated', data: { roomId: 'r1', userIds: ['u2'] } });
      expect((await stream.next()).value.data.roomEvents).toEqual({ __typename: 'MessageCreated', message: { seq: 1 } });
      expect((await stream.next()).value.data.roomEvents).toEqual({ __typename: 'MessageDeleted', seq: 1, deletedBy: 'u1' });
      expect((await stream.next()).value.data.roomEvents).toEqual({ __typename: 'TypingUpdate', userIds: ['u2'] });
    });

    it('a room subscription ends once the caller left the room, after the MemberLeft event', async () => {
      const { session, result } = await subscribed('subscription { roomEvents(roomId: "r1") { __typename ... on MemberLeft { userId reason } } }');
      const stream = result as AsyncIterableIterator<any>;
      session.emit({ type: 'room.member_left', data: { roomId: 'r1', userId: 'u2', reason: 'left' } });
      session.emit({ type: 'room.member_left', data: { roomId: 'r2', userId: viewer.id, reason: 'left' } });
      session.emit({ type: 'room.member_left', data: { roomId: 'r1', userId: viewer.id, reason: 'kicked', by: 'u2' } });
      expect((await stream.next()).value.data.roomEvents).toEqual({ __typename: 'MemberLeft', userId: 'u2', reason: 'left' });
      expect((await stream.next()).value.data.roomEvents).toEqual({ __typename: 'MemberLeft', userId: viewer.id, reason: 'kicked' });
      expect(await stream.next()).toEqual({ value: undefined, done: true });
      expect(session.listening).toBe(0);
    });

    it('a room the caller is not in is refused at subscribe time, and nothing keeps listening', async () => {
      const { session, result } = await subscribed('subscription { typingUpdated(roomId: "r9") { userIds } }');
      expect(result).toEqual({ errors: [expect.objectContaining({ message: 'only members can read this room' })] });
      expect(session.listening).toBe(0);
    });
  });
});
