import { createHash } from 'node:crypto';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { graphqlData, graphqlGet, graphqlPost, GraphqlSubscription, graphqlWsClient } from '../support/graphql-client';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

type Guest = Awaited<ReturnType<typeof guest>>;

const MESSAGE_FIELDS = 'id roomId seq text author { id username } replyTo clientMsgId';

/**
 * The GraphQL door end to end: api (with /graphql and its door gateway), messages,
 * presence, search and two WebSocket gateways as separate processes. GraphQL clients and
 * WebSocket clients share one chat: writes from either door reach both, once, in seq order.
 */
describe('GraphQL door', () => {
  let stack: ChatStack;
  let alice: Guest;
  let bob: Guest;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    stack = await startChatStack('graphql', { gateways: 2, messages: 2, search: 1 });
    alice = await guest(stack.apiUrl, uniqueName('ga'));
    bob = await guest(stack.apiUrl, uniqueName('gb'));
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await stack?.teardown();
  });

  const gql = (token: string, query: string, variables?: Record<string, unknown>) => graphqlData(stack.apiUrl, token, query, variables);
  const errorOf = async (token: string | undefined, query: string, variables?: Record<string, unknown>) => {
    const { status, body } = await graphqlPost(stack.apiUrl, token, { query, variables });
    expect(body.errors).toHaveLength(1);
    return { status, ...body.errors![0], code: body.errors![0].extensions?.code };
  };
  const ws = async (person: Guest, gateway = 0) => {
    const client = await WsClient.connect(stack.gatewayUrls[gateway], person.token);
    closers.push(() => client.close());
    return client;
  };
  const graphqlWs = async (person: Guest) => {
    const connection = graphqlWsClient(stack.apiUrl, { token: person.token });
    closers.push(() => connection.client.dispose());
    await connection.connected;
    return connection.client;
  };

  it('answers queries: me, rooms, room, messages, members, search', async () => {
    const { room } = await gql(alice.token, 'mutation { createRoom(name: "graphql-reads", topic: "t") { id name topic kind memberCount } }').then((d) => ({ room: d.createRoom }));
    expect(room).toMatchObject({ name: 'graphql-reads', topic: 't', kind: 'public', memberCount: 1 });
    for (const text of ['first okapi', 'second okapi', 'third okapi']) {
      await gql(alice.token, 'mutation($roomId: ID!, $text: String!, $c: String!) { sendMessage(roomId: $roomId, text: $text, clientMsgId: $c) { seq } }', {
        roomId: room.id,
        text,
        c: text,
      });
    }
    const data = await gql(
      alice.token,
      `query($roomId: ID!) {
        me { id username }
        rooms { id name joined unread }
        room(id: $roomId) { name lastSeq members { username role presence } }
        messages(roomId: $roomId, beforeSeq: 3, limit: 1) { messages { seq text author { username } room { name } } hasMore }
        members(roomId: $roomId) { id role }
      }`,
      { roomId: room.id },
    );
    expect(data.me).toEqual(alice.user);
    expect(data.rooms).toContainEqual({ id: room.id, name: 'graphql-reads', joined: true, unread: 0 });
    expect(data.room).toEqual({ name: 'graphql-reads', lastSeq: 3, members: [{ username: alice.user.username, role: 'owner', presence: expect.stringMatching(/^(online|offline)$/) }] });
    expect(data.messages).toEqual({ messages: [{ seq: 2, text: 'second okapi', author: { username: alice.user.username }, room: { name: 'graphql-reads' } }], hasMore: true });
    expect(data.members).toEqual([{ id: alice.user.id, role: 'owner' }]);
    const hits = await waitFor(
      async () => {
        const { search } = await gql(alice.token, 'query($roomId: ID) { search(query: "okapi", roomId: $roomId) { message { seq } highlight } }', { roomId: room.id });
        return search.length === 3 && search;
      },
      { what: 'the okapi messages to be indexed', timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(hits.map((h: any) => h.message.seq).sort()).toEqual([1, 2, 3]);
    expect(hits[0].highlight).toMatch(/«okapi»/);
  });

  it('maps refusals to extensions.code: NOT_FOUND, FORBIDDEN, BAD_REQUEST, UNAUTHORIZED (401)', async () => {
    const { createRoom: secret } = await gql(alice.token, 'mutation { createRoom(name: "graphql-secret", kind: private) { id } }');
    // A private room is invisible to non-members (as an unknown id), its writes and reads FORBIDDEN.
    expect(await errorOf(bob.token, 'query($id: ID!) { room(id: $id) { id } }', { id: secret.id })).toMatchObject({ status: 200, code: 'NOT_FOUND', path: ['room'] });
    expect(await errorOf(bob.token, 'mutation { joinRoom(roomId: "no-such-room") { room { id } } }')).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(bob.token, 'query($id: ID!) { messages(roomId: $id) { hasMore } }', { id: secret.id })).toMatchObject({ code: 'FORBIDDEN' });
    const forbiddenSend = await errorOf(bob.token, 'mutation($id: ID!) { sendMessage(roomId: $id, text: "hi", clientMsgId: "x1") { id } }', { id: secret.id });
    expect(forbiddenSend).toMatchObject({ code: 'FORBIDDEN', path: ['sendMessage'] });
    expect(await errorOf(alice.token, 'mutation($id: ID!) { sendMessage(roomId: $id, text: "   ", clientMsgId: "x2") { id } }', { id: secret.id })).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^bad arguments: text/),
    });
    expect(await errorOf(alice.token, 'query { messages(roomId: "x", limit: 101) { hasMore } }')).toMatchObject({ code: 'BAD_REQUEST' });
    // Nothing of the refused writes was stored.
    const { messages } = await gql(alice.token, 'query($id: ID!) { messages(roomId: $id) { messages { seq } } }', { id: secret.id });
    expect(messages.messages).toEqual([]);
    // No token, a bad one: 401 before anything runs.
    expect(await errorOf(undefined, '{ me { id } }')).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(await errorOf('not-a-jwt', '{ me { id } }')).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    // A request that cannot run: 400.
    expect(await errorOf(alice.token, '{ me { id ')).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringMatching(/^Syntax Error/) });
    expect(await errorOf(alice.token, 'subscription { presenceUpdated { userId } }')).toMatchObject({ status: 400, message: expect.stringMatching(/graphql-transport-ws/) });
  });

  it('refuses operations past the depth and cost limits before running them', async () => {
    const deep = await errorOf(alice.token, '{ rooms { messages(limit: 1) { messages { room { messages(limit: 1) { messages { room { messages(limit: 1) { hasMore } } } } } } } } }');
    expect(deep).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: 'the operation nests 9 levels deep; at most 8 are allowed', extensions: { depth: 9, maxDepth: 8 } });
    const costly = await errorOf(alice.token, '{ rooms { messages(limit: 100) { messages { author { username } reactions { emoji } } } } }');
    expect(costly).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringMatching(/may cost \d+; at most 5000/) });
    expect(costly.extensions.cost).toBeGreaterThan(5000);
  });

  it('persisted queries: a hash alone after the text was registered once, also over GET', async () => {
    const query = `query Me${uniqueName('q')} { me { username } }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const unknown = await graphqlGet(stack.apiUrl, alice.token, { extensions });
    expect(unknown).toMatchObject({ status: 200, body: { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] } });
    expect(await graphqlPost(stack.apiUrl, alice.token, { query, extensions })).toEqual({ status: 200, body: { data: { me: { username: alice.user.username } } } });
    expect(await graphqlGet(stack.apiUrl, bob.token, { extensions })).toEqual({ status: 200, body: { data: { me: { username: bob.user.username } } } });
    // A mutation is never run from a GET.
    const mutation = await graphqlGet(stack.apiUrl, alice.token, { query: 'mutation { setPresence(status: away) }' });
    expect(mutation.status).toBe(405);
  });

  it('subscriptions need a token in connection_init: none → 4401, a bad one → 4403', async () => {
    const none = graphqlWsClient(stack.apiUrl, {});
    expect(await none.closed).toMatchObject({ code: 4401 });
    const bad = graphqlWsClient(stack.apiUrl, { token: 'not-a-jwt' });
    expect(await bad.closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/^Forbidden/) });
    // A member-only subscription to a room the caller is not in is refused with its code.
    const { createRoom: secret } = await gql(alice.token, 'mutation { createRoom(name: "graphql-sub-secret", kind: private) { id } }');
    const client = await graphqlWs(bob);
    const subscription = new GraphqlSubscription(client, 'subscription($id: ID!) { messageCreated(roomId: $id) { seq } }', { id: secret.id });
    // Refused when it starts: one result with the error, then the end (graphql-ws: next + complete).
    expect(await subscription.done).toEqual({});
    expect(subscription.results).toEqual([{ errors: [expect.objectContaining({ message: 'only members can read this room', extensions: { code: 'FORBIDDEN' } })] }]);
    // The limits hold over the socket too: refused before it runs (graphql-ws: error).
    const deep = new GraphqlSubscription(client, 'subscription { messageCreated(roomId: "r") { room { messages(limit: 1) { messages { room { messages(limit: 1) { messages { room { id } } } } } } } } }');
    const refused = await deep.done;
    expect(refused.error).toEqual([expect.objectContaining({ message: 'the operation nests 9 levels deep; at most 8 are allowed', extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) })]);
  });

  it('signing out everywhere closes the user\'s graphql-ws connections (4403), as it closes their WebSockets', async () => {
    const erin = await guest(stack.apiUrl, uniqueName('ge'));
    const connection = graphqlWsClient(stack.apiUrl, { token: erin.token });
    closers.push(() => connection.client.dispose());
    await connection.connected;
    const socket = await ws(erin);
    const res = await fetch(`${stack.apiUrl}/api/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${erin.token}` } });
    expect(res.status).toBe(200);
    expect(await connection.closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/revoked/) });
    expect(await socket.closed).toMatchObject({ code: 4001 });
    // The revoked token opens nothing any more.
    expect(await graphqlWsClient(stack.apiUrl, { token: erin.token }).closed).toMatchObject({ code: 4403 });
  });

  it('a WebSocket client and a GraphQL subscription each get every message once, in seq order, whichever door sent it', async () => {
    const aliceWs = await ws(alice, 0);
    const { room } = await aliceWs.call('room.create', { name: 'both-doors' });
    await gql(bob.token, 'mutation($id: ID!) { joinRoom(roomId: $id) { room { id } } }', { id: room.id });
    const carol = await guest(stack.apiUrl, uniqueName('gc'));
    const carolWs = await ws(carol, 1);
    await carolWs.call('room.join', { roomId: room.id });

    const bobWs = await graphqlWs(bob);
    const created = new GraphqlSubscription(bobWs, `subscription($id: ID!) { messageCreated(roomId: $id) { ${MESSAGE_FIELDS} } }`, { id: room.id });
    closers.push(() => created.stop());
    // The subscription is live once it saw a message sent after it: that one opens the count.
    let probes = 0;
    const probeSeq = await waitFor(
      async () => {
        const { message } = await aliceWs.call('message.send', { roomId: room.id, text: `probe ${++probes}`, clientMsgId: `probe-${probes}` });
        await created.until(() => created.data.some((d) => d.messageCreated.seq === message.seq), 2000).catch(() => undefined);
        return created.data.some((d) => d.messageCreated.seq === message.seq) && message.seq;
      },
      { what: 'the subscription to see a probe', timeoutMs: 20_000 },
    );

    const perDoor = 40;
    const sendMutation = 'mutation($id: ID!, $text: String!, $c: String!) { sendMessage(roomId: $id, text: $text, clientMsgId: $c) { seq clientMsgId } }';
    const [overWs, overHttp, overGraphqlWs] = await Promise.all([
      (async () => {
        const seqs: number[] = [];
        for (let i = 0; i < perDoor; i++) seqs.push((await aliceWs.call('message.send', { roomId: room.id, text: `ws ${i}`, clientMsgId: `ws-${i}` })).message.seq);
        return seqs;
      })(),
      (async () => {
        const seqs: number[] = [];
        for (let i = 0; i < perDoor; i++) seqs.push((await gql(bob.token, sendMutation, { id: room.id, text: `http ${i}`, c: `http-${i}` })).sendMessage.seq);
        return seqs;
      })(),
      (async () => {
        const seqs: number[] = [];
        for (let i = 0; i < perDoor; i++) {
          const result = await new Promise<any>((resolve, reject) => {
            let value: any;
            bobWs.subscribe({ query: sendMutation, variables: { id: room.id, text: `gws ${i}`, c: `gws-${i}` } }, { next: (r) => (value = r), error: reject, complete: () => resolve(value) });
          });
          if (result.errors) throw new Error(JSON.stringify(result.errors));
          seqs.push(result.data.sendMessage.seq);
        }
        return seqs;
      })(),
    ]);
    const lastSeq = Math.max(...overWs, ...overHttp, ...overGraphqlWs);
    const expected = Array.from({ length: lastSeq - probeSeq + 1 }, (_, i) => probeSeq + i);
    expect(lastSeq).toBe(probeSeq + 3 * perDoor);

    await created.until(() => created.data.some((d) => d.messageCreated.seq === lastSeq), 30_000, 'the last message on the subscription');
    const subscriptionSeqs = created.data.map((d) => d.messageCreated.seq).filter((seq) => seq >= probeSeq);
    expect(subscriptionSeqs).toEqual(expected);
    const seen = created.data.map((d) => d.messageCreated).find((m) => m.seq === overHttp[0]);
    expect(seen).toMatchObject({ roomId: room.id, text: 'http 0', clientMsgId: 'http-0', author: bob.user });

    for (const client of [aliceWs, carolWs]) {
      await client.waitForCount((f) => f.type === 'message.created' && f.data.roomId === room.id && f.data.seq === lastSeq, 1, 30_000, 'the last message');
      const seqs = client.events('message.created').filter((f) => f.data.roomId === room.id && f.data.seq >= probeSeq).map((f) => f.data.seq);
      expect(seqs).toEqual(expected);
    }
  });

  it('roomEvents carries every event of the room as the union, for writes of either door', async () => {
    const aliceWs = await ws(alice, 1);
    const { room } = await aliceWs.call('room.create', { name: 'union-events' });
    await gql(bob.token, 'mutation($id: ID!) { joinRoom(roomId: $id) { room { id } members { id } messages { seq } } }', { id: room.id });
    const client = await graphqlWs(bob);
    const events = new GraphqlSubscription(
      client,
      `subscription($id: ID!) { roomEvents(roomId: $id) {
        __typename
        ... on MessageCreated { message { seq text } }
        ... on MessageUpdated { message { seq text editedAt } }
        ... on MessageDeleted { seq deletedBy }
        ... on ReactionUpdated { emoji count userIds }
        ... on ReadUpdated { userId seq }
        ... on TypingUpdate { userIds }
      } }`,
      { id: room.id },
    );
    closers.push(() => events.stop());
    let probes = 0;
    await waitFor(
      async () => {
        const { message } = await aliceWs.call('message.send', { roomId: room.id, text: `probe ${++probes}`, clientMsgId: `p-${probes}` });
        await events.until(() => events.data.some((d) => d.roomEvents.message?.seq === message.seq), 2000).catch(() => undefined);
        return events.data.some((d) => d.roomEvents.message?.seq === message.seq);
      },
      { what: 'the subscription to see a probe', timeoutMs: 20_000 },
    );
    const from = events.results.length;
    const { sendMessage } = await gql(bob.token, 'mutation($id: ID!) { sendMessage(roomId: $id, text: "from graphql", clientMsgId: "u1") { id seq } }', { id: room.id });
    await gql(bob.token, 'mutation($m: ID!) { editMessage(messageId: $m, text: "edited") { editedAt } }', { m: sendMessage.id });
    await gql(alice.token, 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "🦒") }', { m: sendMessage.id });
    await gql(bob.token, 'mutation($id: ID!, $seq: Int!) { markRead(roomId: $id, seq: $seq) }', { id: room.id, seq: sendMessage.seq });
    await gql(bob.token, 'mutation($m: ID!) { deleteMessage(messageId: $m) }', { m: sendMessage.id });
    await events.until(() => events.data.some((d) => d.roomEvents.__typename === 'MessageDeleted'), 20_000, 'the deletion');
    const types = events.data.slice(from).map((d) => d.roomEvents.__typename);
    expect(types).toEqual(['MessageCreated', 'MessageUpdated', 'ReactionUpdated', 'ReadUpdated', 'MessageDeleted']);
    expect(events.data.slice(from).map((d) => d.roomEvents)).toEqual([
      { __typename: 'MessageCreated', message: { seq: sendMessage.seq, text: 'from graphql' } },
      { __typename: 'MessageUpdated', message: { seq: sendMessage.seq, text: 'edited', editedAt: expect.any(String) } },
      { __typename: 'ReactionUpdated', emoji: '🦒', count: 1, userIds: [alice.user.id] },
      { __typename: 'ReadUpdated', userId: bob.user.id, seq: sendMessage.seq },
      { __typename: 'MessageDeleted', seq: sendMessage.seq, deletedBy: bob.user.id },
    ]);
    // The WebSocket client saw the same writes.
    await aliceWs.waitForCount((f) => f.type === 'message.deleted' && f.data.id === sendMessage.id, 1, 20_000, 'the deletion over WebSocket');
    expect(aliceWs.events('message.updated').map((f) => f.data.text)).toContain('edited');
    expect(aliceWs.events('message.deleted').map((f) => f.data.id)).toContain(sendMessage.id);
    // Leaving the room ends the subscription, after its MemberLeft.
    await gql(bob.token, 'mutation($id: ID!) { leaveRoom(roomId: $id) }', { id: room.id });
    expect(await events.done).toEqual({});
    expect(events.data.at(-1).roomEvents).toEqual({ __typename: 'MemberLeft' });
  });

  it('rate limits of the messages path apply to GraphQL writes: RATE_LIMITED with retryAfterMs', async () => {
    // An api replica whose door gateway allows 3 sends per user per minute.
    const limited = await stack.add('api', { RATE_USER_SENDS: '3', RATE_USER_WINDOW_MS: '60000' });
    const dave = await guest(stack.apiUrl, uniqueName('gd'));
    const url = `http://127.0.0.1:${limited.port}`;
    const { createRoom: room } = await graphqlData(url, dave.token, 'mutation { createRoom(name: "limited") { id } }');
    const codes: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const { body } = await graphqlPost(url, dave.token, {
        query: 'mutation($id: ID!, $c: String!) { sendMessage(roomId: $id, text: "x", clientMsgId: $c) { seq } }',
        variables: { id: room.id, c: `rl-${i}` },
      });
      codes.push(body.errors?.[0]?.extensions ?? 'ok');
    }
    expect(codes.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
    expect(codes.slice(3)).toEqual(Array(3).fill({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) }));
  });

  it('GRAPHQL_ENABLED=false: no /graphql over HTTP or WebSocket', async () => {
    const off = await stack.add('api', { GRAPHQL_ENABLED: 'false' });
    const url = `http://127.0.0.1:${off.port}`;
    expect((await graphqlPost(url, alice.token, { query: '{ me { id } }' })).status).toBe(404);
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { checks: Record<string, boolean> };
    expect(ready.checks).not.toHaveProperty('graphql');
    const closed = await graphqlWsClient(url, { token: alice.token }).closed;
    expect(closed.code).toBe(1006);
  });

  it('introspection is off in production unless GRAPHQL_INTROSPECTION=true', async () => {
    const query = '{ __schema { queryType { name } } }';
    expect(await graphqlData(stack.apiUrl, alice.token, query)).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const production = await stack.add('api', { NODE_ENV: 'production' });
    const refused = await graphqlPost(`http://127.0.0.1:${production.port}`, alice.token, { query });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/introspection has been disabled/), extensions: { code: 'BAD_REQUEST' } });
    const enabled = await stack.add('api', { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });
    expect(await graphqlData(`http://127.0.0.1:${enabled.port}`, alice.token, query)).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
