import { StreamConsumer, StreamEntry } from '@chat/redis';
import { Deferred, deferred } from '../../../test/support/deferred';
import { fakeLogger } from '../../../test/support/fakes';
import { BatchCommitter, Commit } from './batch-committer';
import { Effects } from './effects';
import { FencedError, ShardFence } from './fence';
import { BatchContext, BatchHandler, ShardWorker } from './shard-worker';

const SHARD = 3;
const STREAM = 'chat:in:{3}';
const GROUP = 'messages';
const NOW = 1_700_000_000_000;
const TTL_MS = 3000;
const MARGIN_MS = 600;

const entry = (id: string): StreamEntry => ({ id, fields: ['f', `{"type":"op ${id}"}`, 'u', 'u-alice'] });
const transient = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });

/**
 * A StreamConsumer over queued batches. A read with nothing queued blocks, as XREADGROUP
 * BLOCK does, until entries are pushed or `wake` (closing the connection) fails it.
 */
class FakeConsumer {
  readonly stream = STREAM;
  readonly group = GROUP;
  readonly consumer = 'msg-1';
  /** Pages claimPending answers, in order; then nothing is pending. */
  readonly pendingPages: { entries: StreamEntry[]; next: string }[] = [];
  private readonly queue: StreamEntry[][] = [];
  private blocked?: Deferred<StreamEntry[]>;
  private idleWaiters: (() => void)[] = [];
  readonly log: string[] = [];
  /** Entries queued behind the batch in hand, as XRANGE would show them. */
  readonly behind: StreamEntry[] = [];
  readonly peekAfter = jest.fn(async (id: string, _count: number) => this.behind.filter((e) => Number(e.id.split('-')[0]) > Number(id.split('-')[0])));

  readonly ensureGroup = jest.fn(async () => void this.log.push('ensureGroup'));
  readonly forgetIdleConsumers = jest.fn(async () => void this.log.push('forgetIdleConsumers'));
  readonly claimPending = jest.fn(async (_count: number, cursor: string) => {
    this.log.push(`claimPending ${cursor}`);
    return this.pendingPages.shift() ?? { entries: [], next: '0-0' };
  });
  readonly readNew = jest.fn((_count: number, _blockMs: number): Promise<StreamEntry[]> => {
    this.log.push('readNew');
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    this.blocked = deferred<StreamEntry[]>();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    return this.blocked.promise;
  });
  /** What the worker's wake does in production: its connection closes, the blocked read fails. */
  readonly wake = jest.fn(() => {
    const blocked = this.blocked;
    this.blocked = undefined;
    blocked?.reject(new Error('Connection is closed.'));
  });

  push(...entries: StreamEntry[]): void {
    const blocked = this.blocked;
    this.blocked = undefined;
    if (blocked) blocked.resolve(entries);
    else this.queue.push(entries);
  }

  /** Resolves once the worker waits in a blocking read with nothing left to read. */
  idle(): Promise<void> {
    return this.blocked ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** Turns each entry into one effect; entries listed in `failing` make any batch holding them throw. */
class FakeHandler implements BatchHandler {
  readonly failing = new Map<string, unknown>();
  readonly settled: string[][] = [];
  readonly process = jest.fn(async (_stream: string, entries: StreamEntry[], _ctx: BatchContext): Promise<Effects> => {
    for (const e of entries) if (this.failing.has(e.id)) throw this.failing.get(e.id);
    const out = new Effects();
    for (const e of entries) out.add(['publish', 'done', e.id]);
    out.onSettled(() => this.settled.push(entries.map((e) => e.id)));
    return out;
  });
  readonly deadLettered = jest.fn((_stream: string, e: StreamEntry, _error: unknown): Effects => {
    const out = new Effects();
    out.add(['publish', 'told', e.id]);
    return out;
  });
}

class RecordingCommitter implements BatchCommitter {
  readonly commits: Commit[] = [];
  readonly commit = jest.fn(async (commit: Commit): Promise<void> => {
    this.commits.push(commit);
  });
}

describe('ShardWorker', () => {
  let clock: number;
  let fence: ShardFence;
  let consumer: FakeConsumer;
  let handler: FakeHandler;
  let committer: RecordingCommitter;
  let onFenced: jest.Mock<void, [number]>;
  let retries: jest.Mock;
  let worker: ShardWorker;

  const ack = (...ids: string[]) => ({ stream: STREAM, group: GROUP, ids });
  const processed = () => handler.process.mock.calls.map(([, entries, ctx]) => [entries.map((e) => e.id), ctx.redelivered]);

  function start(options: { unavailableReplyMs?: number } = {}): ShardWorker {
    worker = new ShardWorker(
      fence,
      consumer as unknown as StreamConsumer,
      handler,
      committer,
      { batchSize: 10, blockMs: 5000, ...options },
      { batchSeconds: { startTimer: () => () => undefined }, batchRetries: { inc: retries }, gatewayToAckSeconds: { observe: jest.fn() } },
      fakeLogger(),
      consumer.wake,
      onFenced,
    );
    worker.start();
    return worker;
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    clock = NOW;
    fence = new ShardFence(SHARD, 'msg-1/t0k3n', 5, 'chat:lease:{3}', TTL_MS, MARGIN_MS, NOW, () => clock);
    consumer = new FakeConsumer();
    handler = new FakeHandler();
    committer = new RecordingCommitter();
    onFenced = jest.fn();
    retries = jest.fn();
  });

  afterEach(async () => {
    const stopping = worker?.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    await stopping;
    jest.useRealTimers();
  });

  describe('a batch', () => {
    it('is processed under the fence and committed with its effects, the ack of every id and the fence', async () => {
      consumer.push(entry('1-0'), entry('2-0'));
      start();
      await consumer.idle();

      expect(handler.process).toHaveBeenCalledTimes(1);
      expect(handler.process).toHaveBeenCalledWith(STREAM, [entry('1-0'), entry('2-0')], { redelivered: false, fence, answered: new Set() });
      expect(committer.commits).toEqual([
        {
          effects: [
            ['publish', 'done', '1-0'],
            ['publish', 'done', '2-0'],
          ],
          ack: ack('1-0', '2-0'),
          deadLetters: [],
          fence,
        },
      ]);
    });

    it('carries the dead letters the handler set aside in the same commit', async () => {
      const dead = { stream: STREAM, id: '2-0', fields: entry('2-0').fields, error: 'TypeError boom' };
      handler.process.mockImplementationOnce(async () => {
        const out = new Effects();
        out.add(['publish', 'done', '1-0']);
        out.deadLetter(dead);
        return out;
      });
      consumer.push(entry('1-0'), entry('2-0'));
      start();
      await consumer.idle();

      expect(committer.commits).toEqual([{ effects: [['publish', 'done', '1-0']], ack: ack('1-0', '2-0'), deadLetters: [dead], fence }]);
    });

    it('settles the effects once the commit is done', async () => {
      const commit = deferred();
      committer.commit.mockImplementationOnce(() => commit.promise);
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(0);
      expect(committer.commit).toHaveBeenCalledTimes(1);
      expect(handler.settled).toEqual([]);

      commit.resolve();
      await consumer.idle();
      expect(handler.settled).toEqual([['1-0']]);
    });

    it('batches follow one another in stream order', async () => {
      consumer.push(entry('1-0'));
      consumer.push(entry('2-0'), entry('3-0'));
      start();
      await consumer.idle();
      consumer.push(entry('4-0'));
      await consumer.idle();
      expect(committer.commits.map((c) => c.ack!.ids)).toEqual([['1-0'], ['2-0', '3-0'], ['4-0']]);
    });
  });

  describe('transient failures', () => {
    it('a transient handler error retries the whole batch after a backoff, marked redelivered, then commits it once', async () => {
      handler.process.mockRejectedValueOnce(transient());
      consumer.push(entry('1-0'), entry('2-0'));
      start();
      await jest.advanceTimersByTimeAsync(0);
      expect(handler.process).toHaveBeenCalledTimes(1);
      expect(committer.commit).not.toHaveBeenCalled();

      await jest.advanceTimersByTimeAsync(100);
      await consumer.idle();
      expect(processed()).toEqual([
        [['1-0', '2-0'], false],
        [['1-0', '2-0'], true],
      ]);
      expect(committer.commits.map((c) => c.ack)).toEqual([ack('1-0', '2-0')]);
      expect(retries).toHaveBeenCalledTimes(1);
      expect(handler.deadLettered).not.toHaveBeenCalled();
    });

    it('a transient commit failure redoes the batch and commits it', async () => {
      committer.commit.mockRejectedValueOnce(new Error('Connection is closed.'));
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(100);
      await consumer.idle();
      expect(committer.commit).toHaveBeenCalledTimes(2);
      expect(committer.commits.map((c) => c.ack)).toEqual([ack('1-0')]);
      expect(handler.deadLettered).not.toHaveBeenCalled();
    });
  });

  describe('a batch held back by a transient error (the database away)', () => {
    const withUnavailableReplies = () =>
      Object.assign(handler, {
        unavailable: jest.fn((_stream: string, entries: StreamEntry[], retryAfterMs: number) => {
          const out = new Effects();
          for (const e of entries) out.add(['publish', 'unavailable', `${e.id} ${retryAfterMs}`]);
          return out;
        }),
      });
    /** What each process call was told was answered already (the set changes afterwards). */
    const answeredSeen: string[][] = [];
    const succeed = () =>
      handler.process.mockReset().mockImplementation(async (_s, entries, ctx) => {
        answeredSeen.push([...ctx.answered]);
        const out = new Effects();
        for (const e of entries) out.add(['publish', 'done', e.id]);
        return out;
      });
    beforeEach(() => (answeredSeen.length = 0));

    it('answers its senders and those queued behind it UNAVAILABLE once, past unavailableReplyMs, acknowledging nothing; later commits do not answer them again', async () => {
      const held = withUnavailableReplies();
      handler.process.mockRejectedValue(transient());
      consumer.push(entry('1-0'), entry('2-0'));
      consumer.behind.push(entry('3-0'));
      start({ unavailableReplyMs: 3000 });

      await jest.advanceTimersByTimeAsync(2999);
      expect(held.unavailable).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(1);
      expect(consumer.peekAfter).toHaveBeenLastCalledWith('2-0', 1000);
      expect(committer.commits).toEqual([
        {
          effects: [
            ['publish', 'unavailable', '1-0 3000'],
            ['publish', 'unavailable', '2-0 3000'],
            ['publish', 'unavailable', '3-0 3000'],
          ],
          fence,
        },
      ]);

      // A newcomer behind the batch is answered at the next retry; nobody twice.
      consumer.behind.push(entry('4-0'));
      await jest.advanceTimersByTimeAsync(10_000);
      expect(consumer.peekAfter).toHaveBeenLastCalledWith('4-0', 1000);
      expect(committer.commits.map((c) => c.effects)).toEqual([committer.commits[0].effects, [['publish', 'unavailable', '4-0 3000']]]);
      expect(committer.commits.every((c) => c.ack === undefined)).toBe(true);

      succeed();
      await jest.advanceTimersByTimeAsync(2000);
      consumer.push(entry('3-0'), entry('4-0'));
      await consumer.idle();
      // (succeed() reset the record of the failed tries.)
      expect(processed()).toEqual([
        [['1-0', '2-0'], true],
        [['3-0', '4-0'], false],
      ]);
      expect(answeredSeen).toEqual([
        ['1-0', '2-0', '3-0', '4-0'],
        ['3-0', '4-0'],
      ]);
      expect(committer.commits.slice(2).map((c) => c.ack)).toEqual([ack('1-0', '2-0'), ack('3-0', '4-0')]);
      expect(held.unavailable).toHaveBeenCalledTimes(2);
    });

    it('tries again at the next retry when even the UNAVAILABLE replies cannot be published (Redis away too)', async () => {
      const held = withUnavailableReplies();
      handler.process.mockRejectedValue(transient());
      committer.commit.mockRejectedValueOnce(new Error('Connection is closed.'));
      consumer.push(entry('1-0'));
      start({ unavailableReplyMs: 1000 });
      await jest.advanceTimersByTimeAsync(1000);
      expect(held.unavailable).toHaveBeenCalledTimes(1);
      expect(committer.commits).toEqual([]);
      await jest.advanceTimersByTimeAsync(2000);
      expect(held.unavailable).toHaveBeenCalledTimes(2);
      expect(committer.commits).toEqual([{ effects: [['publish', 'unavailable', '1-0 1000']], fence }]);
    });

    it('answers nobody early without unavailableReplyMs', async () => {
      const held = withUnavailableReplies();
      handler.process.mockRejectedValue(transient());
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(held.unavailable).not.toHaveBeenCalled();
      expect(committer.commits).toEqual([]);
    });
  });

  describe('an entry failing on its own', () => {
    it('the batch is redone entry by entry: the good ones committed one by one in order, the bad one dead-lettered', async () => {
      const err = Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' });
      handler.failing.set('2-0', err);
      consumer.push(entry('1-0'), entry('2-0'), entry('3-0'));
      start();
      await consumer.idle();

      expect(processed()).toEqual([
        [['1-0', '2-0', '3-0'], false],
        [['1-0'], true],
        [['2-0'], true],
        [['3-0'], true],
      ]);
      expect(handler.deadLettered).toHaveBeenCalledTimes(1);
      expect(handler.deadLettered).toHaveBeenCalledWith(STREAM, entry('2-0'), err);
      expect(committer.commits).toEqual([
        { effects: [['publish', 'done', '1-0']], ack: ack('1-0'), deadLetters: [], fence },
        {
          effects: [['publish', 'told', '2-0']],
          ack: ack('2-0'),
          deadLetters: [{ stream: STREAM, id: '2-0', fields: entry('2-0').fields, error: '22P02 invalid input syntax for type uuid' }],
          fence,
        },
        { effects: [['publish', 'done', '3-0']], ack: ack('3-0'), deadLetters: [], fence },
      ]);
    });

    it('an error without a code is kept with its message alone', async () => {
      handler.failing.set('1-0', new TypeError("Cannot read properties of undefined (reading 'id')"));
      consumer.push(entry('1-0'));
      start();
      await consumer.idle();
      expect(committer.commits.map((c) => c.deadLetters)).toEqual([
        [{ stream: STREAM, id: '1-0', fields: entry('1-0').fields, error: "Cannot read properties of undefined (reading 'id')" }],
      ]);
    });

    it('an entry failing transiently while redone alone is retried, not dead-lettered', async () => {
      handler.process.mockRejectedValueOnce(new Error('bad data')).mockRejectedValueOnce(transient());
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(100);
      await consumer.idle();
      expect(processed()).toEqual([
        [['1-0'], false],
        [['1-0'], true],
        [['1-0'], true],
      ]);
      expect(handler.deadLettered).not.toHaveBeenCalled();
      expect(committer.commits).toEqual([{ effects: [['publish', 'done', '1-0']], ack: ack('1-0'), deadLetters: [], fence }]);
    });
  });

  describe('fenced out', () => {
    /** The worker returned from its loop by itself: stop() needs no wake and nothing more is read. */
    async function expectLoopEnded(reads: number): Promise<void> {
      await worker.stop();
      expect(consumer.wake).not.toHaveBeenCalled();
      expect(consumer.readNew).toHaveBeenCalledTimes(reads);
    }

    it.each([
      ['a FencedError', new FencedError('shard 3: lease lost; not committing')],
      ['PostgreSQL refusing the stale epoch (CHF01)', Object.assign(new Error('shard 3: epoch 5 is stale'), { code: 'CHF01' })],
    ])('%s from the handler: nothing acknowledged, onFenced called, the loop ends', async (_name, err) => {
      handler.process.mockRejectedValueOnce(err);
      consumer.push(entry('1-0'));
      consumer.push(entry('2-0'));
      start();
      await jest.advanceTimersByTimeAsync(1000);

      expect(committer.commit).not.toHaveBeenCalled();
      expect(handler.deadLettered).not.toHaveBeenCalled();
      expect(onFenced).toHaveBeenCalledTimes(1);
      expect(onFenced).toHaveBeenCalledWith(SHARD);
      expect(fence.valid).toBe(false);
      await expectLoopEnded(1);
    });

    it('a FencedError from the commit: not retried, onFenced called, the loop ends', async () => {
      committer.commit.mockRejectedValueOnce(new FencedError('FENCED the lease chat:lease:{3} is no longer held by this owner'));
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(1000);

      expect(committer.commit).toHaveBeenCalledTimes(1);
      expect(handler.process).toHaveBeenCalledTimes(1);
      expect(onFenced).toHaveBeenCalledWith(SHARD);
      await expectLoopEnded(1);
    });

    it('a fence revoked while the batch was processed: nothing is committed', async () => {
      const impl = handler.process.getMockImplementation()!;
      handler.process.mockImplementationOnce(async (...args) => {
        fence.revoke(); // the lease was lost meanwhile
        return impl(...args);
      });
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(1000);

      expect(committer.commit).not.toHaveBeenCalled();
      expect(onFenced).toHaveBeenCalledWith(SHARD);
      expect(handler.settled).toEqual([['1-0']]);
      await expectLoopEnded(1);
    });

    it('a lease deadline passing while the batch was processed: nothing is committed', async () => {
      const impl = handler.process.getMockImplementation()!;
      handler.process.mockImplementationOnce(async (...args) => {
        clock = NOW + TTL_MS - MARGIN_MS; // renewals stalled: the local deadline is reached
        return impl(...args);
      });
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(1000);

      expect(committer.commit).not.toHaveBeenCalled();
      expect(onFenced).toHaveBeenCalledWith(SHARD);
      await expectLoopEnded(1);
    });

    it('a fence already invalid when a batch arrives: the handler is not even called', async () => {
      consumer.push(entry('1-0'));
      clock = NOW + TTL_MS;
      start();
      await jest.advanceTimersByTimeAsync(1000);

      expect(handler.process).not.toHaveBeenCalled();
      expect(committer.commit).not.toHaveBeenCalled();
      expect(onFenced).toHaveBeenCalledWith(SHARD);
    });

    it('fenced while dead-lettering an entry: it is not acknowledged', async () => {
      handler.failing.set('1-0', new Error('bad data'));
      committer.commit.mockRejectedValueOnce(new FencedError('FENCED'));
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(1000);

      expect(committer.commit).toHaveBeenCalledTimes(1);
      expect(committer.commits).toEqual([]);
      expect(onFenced).toHaveBeenCalledWith(SHARD);
      await expectLoopEnded(1);
    });
  });

  describe('stop', () => {
    it('during a blocked read wakes it and returns without reading again', async () => {
      start();
      await consumer.idle();
      await worker.stop();
      expect(consumer.wake).toHaveBeenCalledTimes(1);
      expect(consumer.readNew).toHaveBeenCalledTimes(1);
      expect(onFenced).not.toHaveBeenCalled();
    });

    it('with a batch in hand finishes it (commit and ack) without waking anything, then reads no more', async () => {
      const processing = deferred();
      const impl = handler.process.getMockImplementation()!;
      handler.process.mockImplementationOnce(async (...args) => {
        await processing.promise;
        return impl(...args);
      });
      consumer.push(entry('1-0'));
      start();
      await jest.advanceTimersByTimeAsync(0);

      let stopped = false;
      const stopping = worker.stop().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(false);

      processing.resolve();
      await stopping;
      expect(committer.commits.map((c) => c.ack)).toEqual([ack('1-0')]);
      expect(consumer.wake).not.toHaveBeenCalled();
      expect(consumer.readNew).toHaveBeenCalledTimes(1);
    });
  });

  describe('entries a previous owner left pending', () => {
    it('are claimed first, page by page, and processed marked redelivered, before new entries are read', async () => {
      consumer.pendingPages.push({ entries: [entry('1-0'), entry('2-0')], next: '2-1' }, { entries: [entry('3-0')], next: '0-0' });
      consumer.push(entry('4-0'));
      start();
      await consumer.idle();

      expect(consumer.log).toEqual(['ensureGroup', 'claimPending 0-0', 'claimPending 2-1', 'forgetIdleConsumers', 'readNew', 'readNew']);
      expect(processed()).toEqual([
        [['1-0', '2-0'], true],
        [['3-0'], true],
        [['4-0'], false],
      ]);
      expect(committer.commits.map((c) => c.ack!.ids)).toEqual([['1-0', '2-0'], ['3-0'], ['4-0']]);
    });

    it('an empty page with a cursor goes on to the next page', async () => {
      consumer.pendingPages.push({ entries: [], next: '9-0' }, { entries: [entry('9-1')], next: '0-0' });
      start();
      await consumer.idle();
      expect(processed()).toEqual([[['9-1'], true]]);
    });
  });
});
