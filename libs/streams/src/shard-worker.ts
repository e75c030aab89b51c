import { Logger } from '@chat/observability';
import { StreamConsumer, StreamEntry } from '@chat/redis';
import { BatchCommitter, deadLetterError } from './batch-committer';
import { Effects } from './effects';
import { isFencedError, ShardFence } from './fence';
import { streamMetrics } from './stream.metrics';
import { isTransientError } from './transient-error';
import { UnavailableReplies } from './unavailable-replies';

/** How a batch is being processed: first time, or possibly again; and under which fence. */
export interface BatchContext {
  /** The entries may have been processed before (claimed from a former owner, or retried). */
  redelivered: boolean;
  /** Writes carry it (epoch) and check it (deadline) before committing. */
  fence: ShardFence;
  /**
   * Entries whose senders were already told UNAVAILABLE while this batch waited for the
   * database: they are processed as usual, but their sender gets no second reply.
   */
  answered: ReadonlySet<string>;
}

/**
 * Turns a batch of entries into effects. Contract with the worker:
 * - an op's own failure (bad input, forbidden) is answered inside the effects;
 * - a transient error (database or Redis away) throws: the batch is retried, unacknowledged;
 * - FencedError throws: the shard is gone, nothing is acknowledged;
 * - anything else throws: the worker redoes the batch entry by entry, and an entry that
 *   still fails alone goes to the dead-letter stream with the effects of `deadLettered`.
 */
export interface BatchHandler {
  process(stream: string, entries: StreamEntry[], ctx: BatchContext): Promise<Effects>;
  /** What the sender of a dead-lettered entry is told (an INTERNAL reply). */
  deadLettered(stream: string, entry: StreamEntry, error: unknown): Effects;
  /**
   * What the senders of a batch held back by a transient error are told once
   * `unavailableReplyMs` passed (UNAVAILABLE replies); absent: they wait for the commit.
   */
  unavailable?(stream: string, entries: StreamEntry[], retryAfterMs: number): Effects;
}

export interface StreamWorkerMetrics {
  batchSeconds: { startTimer(): () => unknown };
  batchRetries: { inc(): void };
  gatewayToAckSeconds: { observe(seconds: number): void };
}

export interface ShardWorkerOptions {
  batchSize: number;
  /** How long one blocking read waits when nothing arrives. */
  blockMs: number;
  /**
   * How long a batch may be held back by a transient error before its senders are answered
   * UNAVAILABLE (it keeps retrying); absent: never answered early.
   */
  unavailableReplyMs?: number;
}

/**
 * Processes one shard's stream while this instance owns the shard: first everything a
 * previous owner left pending (oldest first, marked redelivered), then new entries, one
 * batch at a time — read, process (COMMIT), then effects + XACK in one fenced commit — so a
 * room's ops are applied and published in stream order, and nothing is acknowledged without
 * its effects. Fenced out (lease lost or expiring), it stops at once and calls `onFenced`.
 */
export class ShardWorker {
  private stopped = false;
  private reading = false;
  private running?: Promise<void>;
  private readonly unavailable: UnavailableReplies;

  constructor(
    private readonly fence: ShardFence,
    private readonly consumer: StreamConsumer,
    private readonly processor: BatchHandler,
    private readonly committer: BatchCommitter,
    private readonly options: ShardWorkerOptions,
    private readonly metrics: StreamWorkerMetrics,
    private readonly logger: Logger,
    /** Interrupts a blocking read (closes the worker's connection); stop() calls it when idle. */
    private readonly wake: () => void,
    private readonly onFenced: (shard: number) => void,
  ) {
    this.unavailable = new UnavailableReplies(processor.unavailable ? options.unavailableReplyMs : undefined);
  }

  get shard(): number {
    return this.fence.shard;
  }

  start(): void {
    this.running = this.run();
  }

  /** Finishes the batch in hand (committed or left pending), then returns; never waits out a blocking read. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reading) this.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.consumer.ensureGroup();
        await this.drainPending();
        await this.consumer.forgetIdleConsumers();
        while (!this.stopped) {
          this.reading = true;
          const entries = await this.consumer.readNew(this.options.batchSize, this.options.blockMs).finally(() => (this.reading = false));
          // Read but stopped: they stay pending for us, and the next owner claims them.
          if (entries.length > 0 && !this.stopped) await this.handle(entries, false);
        }
      } catch (err) {
        if (isFencedError(err)) return this.fenced(err);
        if (this.stopped) break;
        this.logger.warn({ err, shard: this.shard }, 'shard loop failed; restarting it');
        await delay(500);
      }
    }
  }

  private fenced(err: unknown): void {
    this.stopped = true;
    this.fence.revoke();
    this.logger.warn({ shard: this.shard, reason: (err as Error).message }, 'fenced out of the shard; stopping without acknowledging');
    this.onFenced(this.shard);
  }

  private async drainPending(): Promise<void> {
    let cursor = '0-0';
    do {
      const { entries, next } = await this.consumer.claimPending(this.options.batchSize, cursor);
      if (entries.length > 0) {
        this.logger.info({ shard: this.shard, count: entries.length }, 'claimed pending entries of a previous owner');
        await this.handle(entries, true);
      }
      cursor = next;
    } while (cursor !== '0-0' && !this.stopped);
  }

  /**
   * One batch: transient failures retry it whole (its senders answered UNAVAILABLE once
   * unavailableReplyMs passed); any other failure redoes it entry by entry.
   */
  private async handle(entries: StreamEntry[], redelivered: boolean): Promise<void> {
    const dueAt = this.unavailable.dueAt();
    for (let attempt = 0; ; attempt++) {
      const timer = this.metrics.batchSeconds.startTimer();
      try {
        await this.processAndCommit(entries, redelivered || attempt > 0);
        timer();
        this.observeLatency(entries);
        return;
      } catch (err) {
        if (isFencedError(err)) throw err;
        this.metrics.batchRetries.inc();
        // Left unacknowledged: whoever owns the shard next claims and redoes it (idempotently).
        if (this.stopped) return;
        if (!isTransientError(err)) {
          this.logger.warn({ err, shard: this.shard, count: entries.length }, 'batch failed; redoing it entry by entry');
          return this.oneByOne(entries, dueAt);
        }
        this.logger.warn({ err, shard: this.shard, attempt }, 'batch failed (transient); retrying');
        await this.answerUnavailable(entries, dueAt);
        await delay(this.unavailable.waitBefore(backoff(attempt), dueAt));
      }
    }
  }

  private async oneByOne(entries: StreamEntry[], dueAt: number): Promise<void> {
    for (const entry of entries) {
      for (let attempt = 0; ; attempt++) {
        if (this.stopped) return;
        try {
          await this.processAndCommit([entry], true);
          break;
        } catch (err) {
          if (isFencedError(err)) throw err;
          if (isTransientError(err)) {
            await this.answerUnavailable([entry], dueAt);
            await delay(this.unavailable.waitBefore(backoff(attempt), dueAt));
            continue;
          }
          await this.deadLetter(entry, err);
          break;
        }
      }
    }
  }

  /**
   * Once a held-back batch is due, tells UNAVAILABLE to its senders and to those of the
   * entries queued behind it (they cannot run before it; looked at with XRANGE, not read),
   * each once: published through the fenced committer without acknowledging anything, so
   * the batch goes on retrying and the entries behind it stay new. Every retry looks again
   * for newcomers. If even this fails (Redis away too), the next retry tries again.
   */
  private async answerUnavailable(entries: StreamEntry[], dueAt: number): Promise<void> {
    if (!this.processor.unavailable || Date.now() < dueAt) return;
    try {
      const behind = await this.consumer.peekAfter(this.unavailable.peekFrom(entries[entries.length - 1].id), PEEK_BEHIND);
      const waiting = this.unavailable.unanswered([...entries, ...behind]);
      if (waiting.length === 0) return;
      const effects = this.processor.unavailable(this.consumer.stream, waiting, this.unavailable.retryAfterMs);
      try {
        this.fence.assertValid();
        await this.committer.commit({ effects: effects.list, fence: this.fence });
      } finally {
        effects.settle();
      }
      this.unavailable.markAnswered(waiting);
      this.logger.warn({ shard: this.shard, count: waiting.length }, 'batch held back by a transient error: senders answered UNAVAILABLE; still retrying');
    } catch (err) {
      if (isFencedError(err)) throw err;
    }
  }

  private async processAndCommit(entries: StreamEntry[], redelivered: boolean): Promise<void> {
    this.fence.assertValid();
    const answered = this.unavailable.answered;
    const effects = await this.processor.process(this.consumer.stream, entries, { redelivered, fence: this.fence, answered });
    try {
      this.fence.assertValid();
      await this.committer.commit({ effects: effects.list, ack: this.ackOf(entries), deadLetters: effects.deadLetters, fence: this.fence });
      for (const dead of effects.deadLetters) streamMetrics().deadLetters.inc({ stream: dead.stream });
      this.unavailable.settled(entries);
    } finally {
      effects.settle();
    }
  }

  /** The entry alone failed: its sender is told, the entry is kept with its error, and acknowledged. */
  private async deadLetter(entry: StreamEntry, error: unknown): Promise<void> {
    const stream = this.consumer.stream;
    this.logger.error({ err: error, shard: this.shard, id: entry.id }, 'entry failed on its own; moving it to the dead-letter stream');
    // A sender told UNAVAILABLE already gets no second reply (INTERNAL) for the same ref.
    const effects = this.unavailable.answered.has(entry.id) ? new Effects() : this.processor.deadLettered(stream, entry, error);
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        this.fence.assertValid();
        await this.committer.commit({
          effects: effects.list,
          ack: this.ackOf([entry]),
          deadLetters: [{ stream, id: entry.id, fields: entry.fields, error: deadLetterError(error) }],
          fence: this.fence,
        });
        streamMetrics().deadLetters.inc({ stream });
        this.unavailable.settled([entry]);
        return;
      } catch (err) {
        if (isFencedError(err)) throw err;
        await delay(backoff(attempt));
      }
    }
  }

  private ackOf(entries: StreamEntry[]) {
    return { stream: this.consumer.stream, group: this.consumer.group, ids: entries.map((e) => e.id) };
  }

  private observeLatency(entries: StreamEntry[]): void {
    const t = entries[0].fields.indexOf('t');
    if (t >= 0) this.metrics.gatewayToAckSeconds.observe((Date.now() - Number(entries[0].fields[t + 1])) / 1000);
  }
}

/** Entries queued behind a held-back batch that one retry answers UNAVAILABLE, at most (the next retry goes on). */
const PEEK_BEHIND = 1000;

function backoff(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 2000);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
