import { Client } from 'pg';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { Frame, guest, WsClient } from '../support/ws-client';
import { waitFor } from '../support/wait-for';

type Hit = { message: { id: string; roomId: string; text: string; author: { id: string } }; highlight: string; score: number };

/**
 * Search end to end: two gateways, two messages instances and two search instances as
 * separate processes. Messages become searchable through `chat:events`, over the WebSocket
 * `search` op and `GET /api/search`; membership is checked at query time; edits re-index,
 * deletes remove; a search instance killed mid-stream loses and doubles nothing.
 */
describe('search', () => {
  let stack: ChatStack;
  let pg: Client;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('search', { search: 2, env: { SEARCH_CLAIM_IDLE_MS: '1500' } });
    pg = new Client({ connectionString: stack.database.url });
    await pg.connect();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await pg?.end();
    await stack?.teardown();
  });

  interface Person {
    client: WsClient;
    token: string;
    user: { id: string; username: string };
  }

  async function person(name: string, gateway: number): Promise<Person> {
    const { token, user } = await guest(stack.apiUrl, uniqueName(name));
    const client = await WsClient.connect(stack.gatewayUrls[gateway % 2], token);
    clients.push(client);
    return { client, token, user };
  }

  const search = async (p: Person, data: Record<string, unknown>): Promise<Hit[]> => (await p.client.call('search', data)).hits;
  const texts = (hits: Hit[]) => hits.map((h) => h.message.text);
  /** Index updates arrive through the event stream: wait until the query sees them. */
  const eventually = (p: Person, data: Record<string, unknown>, ok: (hits: Hit[]) => boolean, what: string) =>
    waitFor(async () => ok(await search(p, data)), { what, timeoutMs: 20_000, intervalMs: 50 });

  it('finds, ranks, highlights and filters; only in rooms the searcher is a member of now', async () => {
    const [alice, bob, eve] = await Promise.all([person('salice', 0), person('sbob', 1), person('seve', 0)]);
    const { room: open } = await alice.client.call('room.create', { name: 'open' });
    const { room: secret } = await alice.client.call('room.create', { name: 'secret', kind: 'private' });
    await bob.client.call('room.join', { roomId: open.id });
    const send = (p: Person, roomId: string, text: string, clientMsgId: string) => p.client.call('message.send', { roomId, text, clientMsgId });
    await send(alice, open.id, 'the giraffe project starts monday', 'g1');
    await send(bob, open.id, 'giraffe giraffe: the giraffe budget', 'g2');
    await send(alice, open.id, 'lunch at noon', 'l1');
    await send(alice, secret.id, 'the secret giraffe plan', 's1');
    await eventually(alice, { query: 'giraffe' }, (h) => h.length === 3, 'the three giraffe messages to be indexed');

    // Relevance first: the message that says it three times outranks the others.
    const hits = await search(alice, { query: 'giraffe' });
    expect(hits[0].message.text).toBe('giraffe giraffe: the giraffe budget');
    expect(hits[0].highlight).toContain('«giraffe»');
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
    // One wrong letter still finds it; websearch syntax never errors.
    expect(texts(await search(alice, { query: 'girafe' }))).toEqual(expect.arrayContaining(['the giraffe project starts monday']));
    expect(texts(await search(alice, { query: 'giraffe -budget' }))).not.toContain('giraffe giraffe: the giraffe budget');
    expect(texts(await search(alice, { query: '"giraffe project"' }))).toEqual(['the giraffe project starts monday']);
    for (const nasty of ['"', '-', '&', '|', '!', ':*', '(', 'a & (b | !c', '"unbalanced', '\\', "'; drop table messages; --"]) {
      expect((await alice.client.request('search', { query: nasty })).ok).toBe(true);
    }
    // Filters.
    expect(texts(await search(alice, { query: 'giraffe', authorId: bob.user.id }))).toEqual(['giraffe giraffe: the giraffe budget']);
    expect(texts(await search(alice, { query: 'giraffe', roomId: secret.id }))).toEqual(['the secret giraffe plan']);
    expect(await search(alice, { query: 'giraffe', before: '2000-01-01T00:00:00Z' })).toEqual([]);

    // Bob is not in the private room: no filter reveals it. Eve is in no room at all.
    expect(texts(await search(bob, { query: 'giraffe' })).sort()).toEqual(['giraffe giraffe: the giraffe budget', 'the giraffe project starts monday']);
    expect(await search(bob, { query: 'secret', roomId: secret.id })).toEqual([]);
    expect(await search(eve, { query: 'giraffe' })).toEqual([]);
    // Leaving a room hides it at once.
    await bob.client.call('room.leave', { roomId: open.id });
    expect(await search(bob, { query: 'giraffe' })).toEqual([]);

    // The same over HTTP (401 without a token).
    const http = await fetch(`${stack.apiUrl}/api/search?q=giraffe&authorId=${bob.user.id}`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(http.status).toBe(200);
    expect(texts(((await http.json()) as { hits: Hit[] }).hits)).toEqual(['giraffe giraffe: the giraffe budget']);
    expect((await fetch(`${stack.apiUrl}/api/search?q=giraffe`)).status).toBe(401);
    expect((await fetch(`${stack.apiUrl}/api/search?q=`, { headers: { authorization: `Bearer ${alice.token}` } })).status).toBe(400);

    // Bad input: BAD_REQUEST, the socket stays.
    const bad = (data: unknown) => alice.client.request('search', data).then((f: Frame) => f.error?.code);
    expect(await bad({ query: '' })).toBe('BAD_REQUEST');
    expect(await bad({ query: 'x'.repeat(501) })).toBe('BAD_REQUEST');
  });

  it('follows edits and deletes', async () => {
    const alice = await person('sedit', 1);
    const { room } = await alice.client.call('room.create', { name: 'edits' });
    const { message } = await alice.client.call('message.send', { roomId: room.id, text: 'a zebra crossing', clientMsgId: 'z1' });
    await eventually(alice, { query: 'zebra', roomId: room.id }, (h) => h.length === 1, 'the zebra message');
    await alice.client.call('message.edit', { messageId: message.id, text: 'an okapi crossing' });
    await eventually(alice, { query: 'okapi', roomId: room.id }, (h) => h.length === 1, 'the edit to be indexed');
    expect(await search(alice, { query: 'zebra', roomId: room.id })).toEqual([]);
    await alice.client.call('message.delete', { messageId: message.id });
    await eventually(alice, { query: 'okapi', roomId: room.id }, (h) => h.length === 0, 'the delete to be indexed');
  });

  it('loses and doubles nothing when a search instance is killed mid-stream', async () => {
    const alice = await person('skill', 0);
    const { room } = await alice.client.call('room.create', { name: 'kill' });
    const total = 300;
    const victim = stack.processes.find((p) => p.name.startsWith('search'))!;
    const indexed = async () => Number((await pg.query('SELECT count(*) AS n FROM search_messages WHERE room_id = $1', [room.id])).rows[0].n);
    const sendFrom = (from: number, to: number) => {
      for (let i = from; i < to; i++) alice.client.send('message.send', { roomId: room.id, text: `token${i} walrus`, clientMsgId: `k${i}` }, `k${i}`);
    };
    sendFrom(0, 200);
    // Mid-stream: the index has started on these events, and both instances hold some.
    await waitFor(async () => (await indexed()) >= 20, { what: 'indexing to be under way', timeoutMs: 20_000, intervalMs: 5 });
    victim.kill('SIGKILL');
    sendFrom(200, total);
    await alice.client.waitForCount((f) => f.type === 'reply' && String(f.ref).startsWith('k'), total, 60_000, 'send replies');
    // The survivor claims what the dead instance left pending after SEARCH_CLAIM_IDLE_MS.
    await waitFor(async () => (await indexed()) === total, { what: 'every message indexed', timeoutMs: 30_000, intervalMs: 100 });
    const rows = await pg.query('SELECT seq FROM search_messages WHERE room_id = $1 ORDER BY seq', [room.id]);
    expect(rows.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // One exact hit first; near spellings (token251…) follow as approximate hits (score < 1).
    const hits = await search(alice, { query: 'token250', roomId: room.id });
    expect(hits[0].message.text).toBe('token250 walrus');
    expect(texts(hits.filter((h) => h.score >= 1))).toEqual(['token250 walrus']);
  });
});
