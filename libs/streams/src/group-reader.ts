import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { createRedis, StreamConsumer, StreamEntry } from '@chat/redis';
import { BatchCommitter } from './batch-committer';
import { RedisBatchCommitter } from './batch-committer.redis';
import { Effects } from './effects';
import { streamMetrics } from './stream.metrics';

/** Processes entries that need no order and no fence (read-only ops). */
export interface UnorderedHandler {
  process(stream: string, entries: StreamEntry[], ctx: { redelivered: boolean }): Promise<Effects>;
}

export interface GroupReaderOptions {
  batchSize: number;
  blockMs: number;
  /** Entries another consumer left pending this long are taken over (it died mid-batch). */
  claimIdleMs: number;
  /** The stream keeps about this many entries (many consumers ack out of order: no MINID trim). */
  maxLen: number;
}

/**
 * Every instance of a service reads one stream in one consumer group, without a lease: each
 * entry goes to one of them, whichever asks first. For work that needs no order (reads):
 * any instance answers, none waits behind another's writes. Effects and XACK are committed
 * together; a dead consumer's pending entries are claimed by the others after `claimIdleMs`.
 */
export class GroupReader {
  private readonly redis: Redis;
  private readonly consumer: StreamConsumer;
  private readonly committer: BatchCommitter;
  private stopped = false;
  private running?: Promise<void>;
  private lastClaim = 0;

  constructor(
    redisUrl: string,
    consumerName: string,
    stream: string,
    group: string,
    private readonly handler: UnorderedHandler,
    private readonly options: GroupReaderOptions,
    private readonly logger: Logger,
  ) {
    this.redis = createRedis(redisUrl, `${consumerName}:${stream}`, {}, logger);
    this.consumer = new StreamConsumer(this.redis, stream, group, consumerName);
    this.committer = new RedisBatchCommitter(this.redis);
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A blocked read would hold stop() for blockMs: closing the connection ends it now.
    this.redis.disconnect();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.consumer.ensureGroup();
        while (!this.stopped) {
          await this.claimAbandoned();
          const entries = await this.consumer.readNew(this.options.batchSize, this.options.blockMs);
          if (entries.length > 0) await this.handle(entries, false);
        }
      } catch (err) {
        if (this.stopped) break;
        // Left pending: after claimIdleMs any consumer (this one too) takes them again.
        this.logger.warn({ err, stream: this.consumer.stream }, 'group reader failed; restarting it');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async claimAbandoned(): Promise<void> {
    const now = Date.now();
    if (now - this.lastClaim < this.options.claimIdleMs) return;
    this.lastClaim = now;
    const { entries } = await this.consumer.claimPending(this.options.batchSize, '0-0', this.options.claimIdleMs);
    if (entries.length > 0) await this.handle(entries, true);
  }

  private async handle(entries: StreamEntry[], redelivered: boolean): Promise<void> {
    const effects = await this.handler.process(this.consumer.stream, entries, { redelivered });
    try {
      const ack = { stream: this.consumer.stream, group: this.consumer.group, ids: entries.map((e) => e.id), maxLen: this.options.maxLen };
      await this.committer.commit({ effects: effects.list, deadLetters: effects.deadLetters, ack });
      for (const dead of effects.deadLetters) streamMetrics().deadLetters.inc({ stream: dead.stream });
    } finally {
      effects.settle();
    }
  }
}
