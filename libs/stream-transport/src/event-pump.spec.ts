import { DeadLetter } from '@chat/streams';
import { fakeLogger } from '../../../test/support/fakes';
import { deferred, Deferred } from '../../../test/support/deferred';
import { ChatEventEntry } from './chat-event-entry';
import { EventDispatch, EventOrigin, EventPump, EventPumpOptions } from './event-pump';
import { EventSource, SourceEntry } from './event-source';
import { streamTransportMetrics } from './stream-transport.metrics';

const A = 'chat:events:{0}';
const B = 'chat:events:{1}';

/** One consumer's view of an in-memory consumer group; every change wakes `changed()` waiters. */
class FakeSource implements EventSource {
  readonly entries = new Map<string, SourceEntry[]>();
  readonly delivered = new Map<string, Set<string>>();
  readonly acked: string[] = [];
  readonly deadLetters: DeadLetter[] = [];
  /** Entries another consumer left pending, returned by the next claim of their stream. */
  readonly abandoned = new Map<string, SourceEntry[]>();
  readonly reads: string[][] = [];
  failNextSettle?: Error;
  private waiters: (() => void)[] = [];
  private seq = 0;

  append(stream: string, fields: string[] | null): string {
    const id = `${++this.seq}-0`;
    this.list(stream).push({ id, fields });
    this.notify();
    return id;
  }

  /** Delivered to this consumer earlier (a previous run under the same name) and never acknowledged. */
  appendDelivered(stream: string, fields: string[] | null): string {
    const id = this.append(stream, fields);
    this.seen.add(id);
    this.pending(stream).add(id);
    return id;
  }

  /** Delivered to another consumer that died with it: only a claim returns it. */
  appendAbandoned(stream: string, fields: string[]): string {
    const id = this.append(stream, fields);
    this.seen.add(id);
    this.abandoned.set(stream, [...(this.abandoned.get(stream) ?? []), { id, fields }]);
    return id;
  }

  async until<T>(probe: () => T | undefined | false): Promise<T> {
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async ensureGroups(): Promise<void> {}

  async readNew(streams: string[], count: number, blockMs: number): Promise<{ stream: string; entries: SourceEntry[] }[]> {
    this.reads.push(streams);
    const take = () => {
      const out = streams
        .map((stream) => ({ stream, entries: this.list(stream).filter((e) => !this.seen.has(e.id)).slice(0, count) }))
        .filter((r) => r.entries.length > 0);
      for (const r of out) for (const e of r.entries) (this.seen.add(e.id), this.pending(r.stream).add(e.id));
      return out;
    };
    // Like XREADGROUP BLOCK: waits until something arrives, the time is up, or CLIENT UNBLOCK.
    const deadline = Date.now() + blockMs;
    for (;;) {
      const out = take();
      if (out.length > 0 || this.closed || this.interrupted || Date.now() >= deadline) {
        this.interrupted = false;
        return out;
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, deadline - Date.now());
      });
      clearTimeout(timer);
    }
  }

  interrupted = false;
  async interruptRead(): Promise<void> {
    this.interrupted = true;
    this.notify();
  }

  async readOwnPending(stream: string, count: number): Promise<SourceEntry[]> {
    return this.list(stream).filter((e) => this.pending(stream).has(e.id)).slice(0, count);
  }

  async claimIdle(stream: string, count: number): Promise<SourceEntry[]> {
    const claimed = (this.abandoned.get(stream) ?? []).splice(0, count);
    for (const e of claimed) this.pending(stream).add(e.id);
    return claimed;
  }

  async settle(stream: string, ids: string[], deadLetters: DeadLetter[]): Promise<void> {
    if (this.failNextSettle) {
      const err = this.failNextSettle;
      this.failNextSettle = undefined;
      throw err;
    }
    for (const id of ids) (this.pending(stream).delete(id), this.acked.push(id));
    this.deadLetters.push(...deadLetters);
    this.notify();
  }

  async behind(stream: string): Promise<number> {
    return this.list(stream).filter((e) => !this.acked.includes(e.id)).length;
  }

  closed = false;
  close(): void {
    this.closed = true;
    this.notify();
  }

  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private readonly seen = new Set<string>();
  private list(stream: string): SourceEntry[] {
    if (!this.entries.has(stream)) this.entries.set(stream, []);
    return this.entries.get(stream)!;
  }
  private pending(stream: string): Set<string> {
    if (!this.delivered.has(stream)) this.delivered.set(stream, new Set());
    return this.delivered.get(stream)!;
  }
}

const event = (type: string, data: unknown, t = Date.now()) => ['type', type, 'data', JSON.stringify(data), 't', String(t)];
const joined = (userId: string) => event('member.joined', { roomId: 'r1', userId });

describe('EventPump', () => {
  let source: FakeSource;
  let handled: { type: string; data: unknown; origin: EventOrigin }[];
  let behaviour: (e: ChatEventEntry, origin: EventOrigin) => Promise<boolean>;
  let pump: EventPump;
  const dispatch: EventDispatch = async (e, origin) => {
    handled.push({ type: e.type, data: e.data, origin });
    source.notify();
    return behaviour(e, origin);
  };
  const users = () => handled.map((h) => (h.data as { userId: string }).userId);

  function startPump(options: Partial<EventPumpOptions> = {}, streams = [A, B]): void {
    pump = new EventPump(
      source,
      streams,
      dispatch,
      { group: 'g', batchSize: 10, blockMs: 50, claimIdleMs: 60_000, maxInFlight: streams.length, retryMs: 1, ...options },
      streamTransportMetrics(),
      fakeLogger(),
    );
    pump.start();
  }

  beforeEach(() => {
    source = new FakeSource();
    handled = [];
    behaviour = async () => true;
  });

  afterEach(async () => {
    source.close();
    await pump?.stop();
  });

  it('hands each event to its handler once, in stream order, and acknowledges it after the handler resolved', async () => {
    const gate = deferred<void>();
    behaviour = async (e) => {
      if ((e.data as { userId: string }).userId === 'u1') await gate.promise;
      return true;
    };
    const ids = ['u1', 'u2', 'u3'].map((u) => source.append(A, joined(u)));
    startPump();
    await source.until(() => handled.length === 1);
    expect(source.acked).toEqual([]); // the handler has not resolved yet
    gate.resolve();
    await source.until(() => source.acked.length === 3);
    expect(users()).toEqual(['u1', 'u2', 'u3']);
    expect(source.acked).toEqual(ids);
    expect(handled[0]).toMatchObject({ type: 'member.joined', data: { roomId: 'r1', userId: 'u1' }, origin: { stream: A, id: ids[0], redelivered: false } });
  });

  it('acknowledges an event nothing handles', async () => {
    behaviour = async () => false;
    const id = source.append(A, event('member.left', { roomId: 'r1', userId: 'u1', reason: 'left' }));
    startPump();
    await source.until(() => source.acked.includes(id));
    expect(source.deadLetters).toEqual([]);
  });

  it.each([
    ['an unknown type', ['type', 'room.exploded', 'data', '{}', 't', '1']],
    ['data that is not JSON', ['type', 'member.joined', 'data', '{', 't', '1']],
    ['data off its schema', event('member.left', { roomId: 'r1', userId: 'u1', reason: 'vanished' })],
    ['no time', ['type', 'member.joined', 'data', '{"roomId":"r1","userId":"u1"}']],
  ])('dead-letters and acknowledges a bad entry (%s) without calling a handler; the stream goes on', async (_name, fields) => {
    const bad = source.append(A, fields);
    const good = source.append(A, joined('u2'));
    startPump();
    await source.until(() => source.acked.length === 2);
    expect(source.acked).toEqual([bad, good]);
    expect(users()).toEqual(['u2']);
    expect(source.deadLetters).toEqual([{ stream: A, id: bad, fields, error: expect.stringMatching(/^bad entry: /) }]);
  });

  it('dead-letters an event whose handler fails on its own, with the error, and goes on', async () => {
    behaviour = async (e) => {
      if ((e.data as { userId: string }).userId === 'u1') throw Object.assign(new Error('duplicate key'), { code: '23505' });
      return true;
    };
    const fields = joined('u1');
    const [first, second] = [fields, joined('u2')].map((f) => source.append(A, f));
    startPump();
    await source.until(() => source.acked.length === 2);
    expect(source.acked).toEqual([first, second]);
    expect(source.deadLetters).toEqual([{ stream: A, id: first, fields, error: '23505 duplicate key' }]);
  });

  it('leaves an event whose handler failed transiently pending, retries it, and handles nothing after it before', async () => {
    let failures = 2;
    behaviour = async (e) => {
      if ((e.data as { userId: string }).userId === 'u2' && failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return true;
    };
    const ids = ['u1', 'u2', 'u3'].map((u) => source.append(A, joined(u)));
    startPump();
    await source.until(() => source.acked.length === 3);
    expect(users()).toEqual(['u1', 'u2', 'u2', 'u2', 'u3']);
    expect(source.acked).toEqual(ids);
    expect(source.deadLetters).toEqual([]);
    expect(handled.slice(2).map((h) => h.origin.redelivered)).toEqual([true, true, true]);
  });

  it('unordered: hands a whole batch to the handlers at once, acknowledging after all resolved', async () => {
    const gates = new Map(['u1', 'u2', 'u3'].map((u) => [u, deferred<void>()]));
    behaviour = async (e) => {
      await gates.get((e.data as { userId: string }).userId)!.promise;
      return true;
    };
    const ids = ['u1', 'u2', 'u3'].map((u) => source.append(A, joined(u)));
    startPump({ ordered: false });
    // All three are in their handlers before the first one finished.
    await source.until(() => handled.length === 3);
    expect(source.acked).toEqual([]);
    gates.get('u3')!.resolve();
    gates.get('u1')!.resolve();
    gates.get('u2')!.resolve();
    await source.until(() => source.acked.length === 3);
    expect(source.acked).toEqual(ids);
  });

  it('unordered: a transient failure leaves that entry pending for a retry and acknowledges the others', async () => {
    let failures = 1;
    behaviour = async (e) => {
      if ((e.data as { userId: string }).userId === 'u2' && failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return true;
    };
    const ids = ['u1', 'u2', 'u3'].map((u) => source.append(A, joined(u)));
    startPump({ ordered: false });
    await source.until(() => source.acked.length === 3);
    expect(source.acked).toEqual([ids[0], ids[2], ids[1]]);
    expect(users().filter((u) => u === 'u2')).toHaveLength(2);
  });

  it('redoes a batch whose acknowledgement failed (Redis away), from its own pending entries', async () => {
    source.failNextSettle = Object.assign(new Error('Connection is closed.'), { code: 'ECONNRESET' });
    const id = source.append(A, joined('u1'));
    startPump();
    await source.until(() => source.acked.includes(id));
    expect(users()).toEqual(['u1', 'u1']);
  });

  it('keeps one batch per stream in hand: a busy stream is not read again, the others are', async () => {
    const gate = deferred<void>();
    behaviour = async (e) => {
      if ((e.data as { userId: string }).userId === 'a1') await gate.promise;
      return true;
    };
    source.append(A, joined('a1'));
    startPump();
    await source.until(() => handled.length === 1);
    const readsBeforeA2 = source.reads.length;
    source.append(A, joined('a2'));
    const b1 = source.append(B, joined('b1'));
    await source.until(() => source.acked.includes(b1));
    expect(users()).toEqual(['a1', 'b1']);
    expect(source.reads.slice(readsBeforeA2).every((streams) => !streams.includes(A))).toBe(true);
    gate.resolve();
    await source.until(() => source.acked.length === 3);
    expect(users()).toEqual(['a1', 'b1', 'a2']);
  });

  it('with maxInFlight 1 reads no stream while a batch is in hand (back-pressure)', async () => {
    const gate = deferred<void>();
    behaviour = async () => (await gate.promise, true);
    source.append(A, joined('a1'));
    startPump({ maxInFlight: 1 });
    await source.until(() => handled.length === 1);
    const readsBefore = source.reads.length;
    source.append(B, joined('b1'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.reads.length).toBe(readsBefore);
    expect(users()).toEqual(['a1']);
    gate.resolve();
    await source.until(() => source.acked.length === 2);
    expect(users()).toEqual(['a1', 'b1']);
  });

  it('takes over entries another consumer left pending (claimIdleMs) and marks them redelivered', async () => {
    const id = source.appendAbandoned(A, joined('u9'));
    startPump({ claimIdleMs: 20 });
    await source.until(() => source.acked.includes(id));
    expect(handled).toEqual([expect.objectContaining({ origin: { stream: A, id, redelivered: true } })]);
  });

  it('on start, handles its own pending entries (a restart under the same name) before new ones', async () => {
    // Not delivered again by a `>` read: only its own pending history returns it.
    const old = source.appendDelivered(A, joined('old'));
    const fresh = source.append(A, joined('new'));
    startPump();
    await source.until(() => source.acked.length === 2);
    expect(users()).toEqual(['old', 'new']);
    expect(source.acked).toEqual([old, fresh]);
    expect(handled.map((h) => h.origin.redelivered)).toEqual([true, false]);
  });

  it('acknowledges a pending entry that was trimmed away meanwhile', async () => {
    const gone = source.appendDelivered(A, null);
    startPump();
    await source.until(() => source.acked.includes(gone));
    expect(handled).toEqual([]);
  });

  it('stop() finishes the event in hand, acknowledges it, and leaves the rest of the batch pending', async () => {
    const gate: Deferred<void> = deferred<void>();
    behaviour = async () => (await gate.promise, true);
    const [first, second] = ['u1', 'u2'].map((u) => source.append(A, joined(u)));
    startPump();
    await source.until(() => handled.length === 1);
    const stopped = pump.stop();
    gate.resolve();
    await stopped;
    expect(source.acked).toEqual([first]);
    expect([...source.delivered.get(A)!]).toEqual([second]);
    expect(users()).toEqual(['u1']);
  });
});
