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
  ) {}

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
    const unavailable = new UnavailableReplies(this.processor.unavailable ? this.options.unavailableReplyMs : undefined);
    for (let attempt = 0; ; attempt++) {
      const timer = this.metrics.batchSeconds.startTimer();
      try {
        await this.processAndCommit(entries, redelivered || attempt > 0, unavailable.answered);
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
          return this.oneByOne(entries, unavailable);
        }
        this.logger.warn({ err, shard: this.shard, attempt }, 'batch failed (transient); retrying');
        await this.answerUnavailable(entries, unavailable);
        await delay(unavailable.waitBefore(backoff(attempt)));
      }
    }
  }

  private async oneByOne(entries: StreamEntry[], unavailable: UnavailableReplies): Promise<void> {
    for (const entry of entries) {
      for (let attempt = 0; ; attempt++) {
        if (this.stopped) return;
        try {
          await this.processAndCommit([entry], true, unavailable.answered);
          break;
        } catch (err) {
          if (isFencedError(err)) throw err;
          if (isTransientError(err)) {
            await this.answerUnavailable([entry], unavailable);
            await delay(unavailable.waitBefore(backoff(attempt)));
            continue;
          }
          await this.deadLetter(entry, err);
          break;
        }
      }
    }
  }

  /**
   * Tells the senders of a held-back batch UNAVAILABLE, once it is due: published through
   * the fenced committer without acknowledging anything, so the entries stay pending and
   * the batch goes on retrying. If even that fails (Redis away too), the next retry tries again.
   */
  private async answerUnavailable(entries: StreamEntry[], unavailable: UnavailableReplies): Promise<void> {
    if (!this.processor.unavailable || !unavailable.dueFor(entries)) return;
    const waiting = entries.filter((e) => !unavailable.answered.has(e.id));
    const effects = this.processor.unavailable(this.consumer.stream, waiting, unavailable.retryAfterMs);
    try {
      this.fence.assertValid();
      await this.committer.commit({ effects: effects.list, fence: this.fence });
      unavailable.markAnswered(waiting);
      this.logger.warn({ shard: this.shard, count: waiting.length }, 'batch held back by a transient error: senders answered UNAVAILABLE; still retrying');
    } catch (err) {
      if (isFencedError(err)) throw err;
    } finally {
      effects.settle();
    }
  }

  private async processAndCommit(entries: StreamEntry[], redelivered: boolean, answered: ReadonlySet<string>): Promise<void> {
    this.fence.assertValid();
    const effects = await this.processor.process(this.consumer.stream, entries, { redelivered, fence: this.fence, answered });
    try {
      this.fence.assertValid();
      await this.committer.commit({ effects: effects.list, ack: this.ackOf(entries), deadLetters: effects.deadLetters, fence: this.fence });
      for (const dead of effects.deadLetters) streamMetrics().deadLetters.inc({ stream: dead.stream });
    } finally {
      effects.settle();
    }
  }

  /** The entry alone failed: its sender is told, the entry is kept with its error, and acknowledged. */
  private async deadLetter(entry: StreamEntry, error: unknown): Promise<void> {
    const stream = this.consumer.stream;
    this.logger.error({ err: error, shard: this.shard, id: entry.id }, 'entry failed on its own; moving it to the dead-letter stream');
    const effects = this.processor.deadLettered(stream, entry, error);
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

function backoff(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 2000);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
