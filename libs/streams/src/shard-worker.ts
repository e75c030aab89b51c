import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { StreamConsumer, StreamEntry } from '@chat/redis';
import { Outbox } from './outbox';
import { isTransientError } from './transient-error';

/** Turns a batch of entries into effects; throws only when the whole batch should be retried. */
export interface BatchHandler {
  process(stream: string, entries: StreamEntry[], redelivered: boolean): Promise<Outbox>;
}

export interface StreamWorkerMetrics {
  batchSeconds: { startTimer(): () => unknown };
  batchRetries: { inc(): void };
  gatewayToAckSeconds: { observe(seconds: number): void };
}

export interface ShardWorkerOptions {
  batchSize: number;
  /** How long one blocking read waits; bounds how long stop() takes. */
  blockMs: number;
}

const MAX_ATTEMPTS_ON_BUG = 5;

/**
 * Processes one shard's stream while this instance owns the shard: first everything a
 * previous owner left pending (oldest first, marked redelivered), then new entries, one
 * batch at a time — read, process, COMMIT, publish + XACK — so a room's ops are applied
 * and published in stream order. Uses its own connection (blocking reads hold it).
 */
export class ShardWorker {
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    readonly shard: number,
    private readonly redis: Redis,
    private readonly consumer: StreamConsumer,
    private readonly processor: BatchHandler,
    private readonly options: ShardWorkerOptions,
    private readonly metrics: StreamWorkerMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = this.run();
  }

  /** Finishes the batch in hand (acknowledged or left pending), then returns. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.consumer.ensureGroup();
        await this.drainPending();
        await this.consumer.forgetIdleConsumers();
        while (!this.stopped) {
          const entries = await this.consumer.readNew(this.options.batchSize, this.options.blockMs);
          if (entries.length > 0) await this.handle(entries, false);
        }
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn({ err, shard: this.shard }, 'shard loop failed; restarting it');
        await delay(500);
      }
    }
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

  private async handle(entries: StreamEntry[], redelivered: boolean): Promise<void> {
    const ids = entries.map((e) => e.id);
    for (let attempt = 0; ; attempt++) {
      const timer = this.metrics.batchSeconds.startTimer();
      try {
        const out = await this.processor.process(this.consumer.stream, entries, redelivered || attempt > 0);
        await out.flush(this.redis, { stream: this.consumer.stream, group: this.consumer.group, ids });
        timer();
        this.observeLatency(entries);
        return;
      } catch (err) {
        this.metrics.batchRetries.inc();
        // Left unacknowledged: whoever owns the shard next claims and redoes it (idempotently).
        if (this.stopped) return;
        const transient = isTransientError(err);
        if (!transient && attempt + 1 >= MAX_ATTEMPTS_ON_BUG) {
          this.logger.error({ err, shard: this.shard, ids }, 'batch keeps failing; acknowledging it to unblock the shard');
          await this.consumer.ack(ids);
          return;
        }
        this.logger.warn({ err, shard: this.shard, attempt, transient }, 'batch failed; retrying');
        await delay(Math.min(100 * 2 ** attempt, 2000));
      }
    }
  }

  private observeLatency(entries: StreamEntry[]): void {
    const now = Date.now();
    const t = entries[0].fields.indexOf('t');
    if (t >= 0) this.metrics.gatewayToAckSeconds.observe((now - Number(entries[0].fields[t + 1])) / 1000);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
