import { startRedisServer } from '@chat/devstack';
import { ChatClient, ChatHttpApi } from '@chat/client';
import type { Message } from '@chat/protocol';
import WebSocket from 'ws';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';

/** An SDK client that records what it hands the app, over the gateways `urls()` names. */
class Participant {
  readonly delivered: Message[] = [];
  readonly closes: number[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly client: ChatClient) {
    client.on('message', (m) => {
      this.delivered.push(m);
      this.waiters = this.waiters.filter((w) => (this.delivered.length >= w.count ? (w.resolve(), false) : true));
    });
    client.on('reconnecting', ({ code }) => this.closes.push(code));
  }

  static async join(apiUrl: string, name: string, urls: () => string[], first: number): Promise<Participant> {
    const { token } = await new ChatHttpApi(apiUrl).guest(uniqueName(name));
    const client = new ChatClient({
      url: (attempt) => urls()[(first + attempt) % urls().length],
      getToken: () => token,
      WebSocket,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    await client.connect();
    return new Participant(client);
  }

  /** Resolves once `count` messages were delivered (fails the test after `timeoutMs`). */
  received(count: number, timeoutMs = 60_000): Promise<void> {
    if (this.delivered.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`delivered ${this.delivered.length} of ${count} messages`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/**
 * A conversation with a disruption in its middle: `a` and `b` each send `rounds` bursts of
 * `burst` messages at once while `c` sends one message after another the whole time (so
 * messages keep arriving while the others reconnect and resume); `disrupt` runs right after
 * round `at` was sent, its replies not back yet. Every send must be acknowledged, and every
 * participant must see every message once, in seq order, with no hole.
 */
async function converse(
  [a, b, c]: Participant[],
  roomId: string,
  { rounds, burst, at }: { rounds: number; burst: number; at: number },
  disrupt: () => Promise<void>,
): Promise<void> {
  const texts: string[] = [];
  const say = (p: Participant, text: string) => {
    texts.push(text);
    return p.client.send(roomId, text);
  };
  let talking = true;
  const chatter = (async () => {
    for (let i = 0; talking; i++) await say(c, `c ${i}`);
  })();
  for (let round = 0; round < rounds; round++) {
    const sends = [a, b].flatMap((p, who) => Array.from({ length: burst }, (_, i) => say(p, `${who ? 'b' : 'a'} ${round}.${i}`)));
    if (round === at) await disrupt();
    await Promise.all(sends);
  }
  talking = false;
  await chatter;
  for (const p of [a, b, c]) {
    await p.received(texts.length);
    expect(p.delivered.map((m) => m.seq)).toEqual(Array.from({ length: texts.length }, (_, i) => i + 1));
    expect(p.delivered.map((m) => m.text).sort()).toEqual([...texts].sort());
  }
}

describe('the SDK through a gateway kill -9', () => {
  let stack: ChatStack;
  const clients: Participant[] = [];

  beforeAll(async () => {
    // A small resume limit: reconnecting clients get truncated resumes and must page back.
    stack = await startChatStack('sdkgwkill', { env: { LEASE_TTL_MS: '1000', RESUME_LIMIT: '5' } });
  });
  afterAll(async () => {
    for (const p of clients) p.client.close();
    await stack?.teardown();
  });

  it('loses and duplicates no message: the client moves to the other gateway, resumes and resends', async () => {
    const victim = stack.processes.find((p) => stack.gatewayUrls[0].includes(`:${p.port}/`))!;
    let live = [...stack.gatewayUrls];
    // alice and bob on the gateway that dies, carol on the other.
    const alice = await Participant.join(stack.apiUrl, 'ska', () => live, 0);
    const bob = await Participant.join(stack.apiUrl, 'skb', () => live, 0);
    const carol = await Participant.join(stack.apiUrl, 'skc', () => live, 1);
    clients.push(alice, bob, carol);
    const { room } = await alice.client.request('room.create', { name: 'through a crash' });
    await bob.client.request('room.join', { roomId: room.id });
    await carol.client.request('room.join', { roomId: room.id });

    await converse([alice, bob, carol], room.id, { rounds: 10, burst: 10, at: 3 }, async () => {
      live = [stack.gatewayUrls[1]];
      victim.kill('SIGKILL');
      await victim.exited;
    });
    expect(alice.closes).not.toHaveLength(0);
    expect(bob.closes).not.toHaveLength(0);
    expect(carol.closes).toEqual([]);
  });
});

describe('the SDK through a Redis restart', () => {
  let stack: ChatStack;
  const clients: Participant[] = [];
  let restarted: Awaited<ReturnType<typeof startRedisServer>> | undefined;

  beforeAll(async () => {
    stack = await startChatStack('sdkredis', { env: { LEASE_TTL_MS: '1000', RESUME_LIMIT: '5' } });
  });
  afterAll(async () => {
    for (const p of clients) p.client.close();
    await stack?.teardown();
    await restarted?.stop();
  });

  it('loses and duplicates no message: everyone reconnects (1012), resumes and resends', async () => {
    const alice = await Participant.join(stack.apiUrl, 'sra', () => stack.gatewayUrls, 0);
    const bob = await Participant.join(stack.apiUrl, 'srb', () => stack.gatewayUrls, 1);
    const carol = await Participant.join(stack.apiUrl, 'src', () => stack.gatewayUrls, 1);
    clients.push(alice, bob, carol);
    const { room } = await alice.client.request('room.create', { name: 'through a restart' });
    await bob.client.request('room.join', { roomId: room.id });
    await carol.client.request('room.join', { roomId: room.id });

    await converse([alice, bob, carol], room.id, { rounds: 10, burst: 10, at: 3 }, async () => {
      stack.redis.kill();
      await stack.redis.stop();
      restarted = await startRedisServer({ port: stack.redis.port });
    });
    for (const p of [alice, bob, carol]) expect(p.closes).toContain(1012);
  });
});

describe('the SDK and short-lived tokens', () => {
  let stack: ChatStack;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('sdktokens', { gateways: 1, messages: 1, env: { JWT_TTL_SECONDS: '3' } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack?.teardown();
  });

  /**
   * A guest client on 3-second tokens, asked for a fresh one 1.5 s before expiry. Its token
   * source renews by signing in again with the last token; with `refuseRefresh` it fails
   * when asked to refresh (so the token runs out) and renews only once told it expired.
   */
  async function guestClient(name: string, refuseRefresh: boolean) {
    const api = new ChatHttpApi(stack.apiUrl);
    const username = uniqueName(name);
    let session = await api.guest(username);
    const asked: string[] = [];
    const client = new ChatClient({
      url: stack.gatewayUrls[0],
      WebSocket,
      refreshAheadMs: 1500,
      backoff: { initialMs: 100, maxMs: 500 },
      getToken: async (reason) => {
        asked.push(reason);
        if (reason === 'refresh' && refuseRefresh) throw new Error('refresh refused by the test');
        if (reason !== 'connect') session = await api.guest(username, session.token);
        return session.token;
      },
    });
    clients.push(client);
    const closes: string[] = [];
    client.on('reconnecting', ({ code, reason }) => closes.push(`${code} ${reason}`));
    await client.connect();
    return { client, asked, closes };
  }

  it('refreshes the token on the open socket before it expires: one socket outlives several tokens', async () => {
    const { client, asked, closes } = await guestClient('tka', false);
    for (let i = 0; i < 3; i++) await client.once('refreshed'); // each at half the token's life left: past the first one's expiry
    const { room } = await client.request('room.create', { name: 'long talk' });
    expect((await client.send(room.id, 'still here')).seq).toBe(1);
    expect(asked).toEqual(['connect', 'refresh', 'refresh', 'refresh']);
    expect(closes).toEqual([]);
  });

  it('on 4001 token expired gets a fresh token and reconnects', async () => {
    const { client, asked, closes } = await guestClient('tkb', true);
    await client.once('ready');
    expect(closes).toEqual(['4001 token expired']);
    expect(asked).toEqual(['connect', 'refresh', 'expired']);
    const { room } = await client.request('room.create', { name: 'after expiry' });
    expect((await client.send(room.id, 'back')).seq).toBe(1);
  });
});
