import { ChatClient, ChatHttpApi } from '@chat/client';
import type { Message } from '@chat/protocol';
import WebSocket from 'ws';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { waitFor } from '../support/wait-for';

const DRAIN_MS = 3000;
const ON_DRAINED = 8;

/** An SDK client that records its deliveries, its closes (code, time) and the gateways it connected to. */
class Participant {
  readonly delivered: Message[] = [];
  readonly closes: { code: number; at: number }[] = [];
  readonly urls: string[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  readonly client: ChatClient;

  constructor(token: string, urls: () => string[]) {
    this.client = new ChatClient({
      url: (attempt) => {
        const url = urls()[attempt % urls().length];
        this.urls.push(url);
        return url;
      },
      getToken: () => token,
      WebSocket,
      backoff: { initialMs: 50, maxMs: 500 },
    });
    this.client.on('message', (m) => {
      this.delivered.push(m);
      this.waiters = this.waiters.filter((w) => (this.delivered.length >= w.count ? (w.resolve(), false) : true));
    });
    this.client.on('reconnecting', ({ code }) => this.closes.push({ code, at: Date.now() }));
  }

  received(count: number, timeoutMs = 60_000): Promise<void> {
    if (this.delivered.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`delivered ${this.delivered.length} of ${count} messages`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/**
 * Drill: SIGTERM a gateway under a live conversation. It turns not-ready at once, then closes
 * its sockets with 1001 spread over GATEWAY_DRAIN_MS; each client reconnects to the other
 * gateway and resumes there with no gap and no duplicate, while messages keep flowing.
 */
describe('drill: SIGTERM a gateway', () => {
  let stack: ChatStack;
  const people: Participant[] = [];

  beforeAll(async () => {
    stack = await startChatStack('gw_drain', { env: { GATEWAY_DRAIN_MS: String(DRAIN_MS) } });
  });
  afterAll(async () => {
    for (const p of people) p.client.close();
    await stack?.teardown();
  });

  it('drains gradually: not ready first, closes spread over the window, every client resumed on the other gateway with no gap', async () => {
    const [drained, other] = stack.gatewayUrls;
    const victim = stack.processes.find((p) => drained.includes(`:${p.port}/`))!;
    let live = [drained, other];
    const api = new ChatHttpApi(stack.apiUrl);
    const join = async (name: string, first: number) => {
      const { token } = await api.guest(uniqueName(name));
      const p = new Participant(token, () => (first === 0 ? live : [other]));
      await p.client.connect();
      people.push(p);
      return p;
    };
    const onDrained = await Promise.all(Array.from({ length: ON_DRAINED }, (_, i) => join(`dr${i}`, 0)));
    const sender = await join('drs', 1);
    const { room } = await sender.client.request('room.create', { name: 'drain' });
    for (const p of onDrained) await p.client.request('room.join', { roomId: room.id });

    // The sender talks the whole time; the drained gateway's clients only listen.
    let sent = 0;
    let talking = true;
    const chatter = (async () => {
      while (talking) {
        await sender.client.send(room.id, `m ${sent}`);
        sent++;
      }
    })();
    await onDrained[0].received(20);

    live = [other];
    const termAt = Date.now();
    victim.kill('SIGTERM');
    // Not ready while it still holds sockets: a load balancer stops sending it clients first.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${victim.port}/readyz`)).status === 503, { what: 'the draining gateway to turn not-ready' });
    expect(onDrained.filter((p) => p.closes.length === 0).length).toBeGreaterThan(0);
    expect(await victim.exited).toBe(0);

    // Keep talking a little after the last client moved, then stop and compare.
    const moved = sent;
    await waitFor(() => sent >= moved + 20, { what: 'messages after the drain', timeoutMs: 30_000 });
    talking = false;
    await chatter;

    const closes = onDrained.map((p) => p.closes[0]);
    expect(closes.every((c) => c?.code === 1001)).toBe(true);
    const times = closes.map((c) => c.at - termAt).sort((a, b) => a - b);
    // Spread over the window (one every DRAIN_MS / ON_DRAINED ms), not all in one tick.
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(DRAIN_MS / 2);
    expect(new Set(times.map((t) => Math.floor(t / 100))).size).toBeGreaterThanOrEqual(ON_DRAINED / 2);
    for (const p of onDrained) {
      expect(p.closes).toHaveLength(1);
      expect(p.urls[p.urls.length - 1]).toBe(other);
      await p.received(sent);
      expect(p.delivered.map((m) => m.seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    }
  });
});
