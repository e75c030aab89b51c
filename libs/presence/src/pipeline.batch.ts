import Redis, { ChainableCommander } from 'ioredis';
import { pipelineAcrossSlots } from '@chat/redis';

type Results = [Error | null, unknown][];

/**
 * Commands queued on one pipeline: one round trip for a whole batch. Redis runs them in
 * queue order, so each command sees what the ones before it did (on a cluster: those on the
 * same keys — see pipelineAcrossSlots); the callbacks run afterwards in the same order, which
 * is how replies and events reach an Outbox in stream order.
 */
export class PipelineBatch {
  private readonly pipeline: ChainableCommander;
  private readonly steps: ((results: Results) => void)[] = [];
  private commands = 0;

  constructor(redis: Redis) {
    this.pipeline = pipelineAcrossSlots(redis);
  }

  /** Queues one command; `then` gets its reply once the batch ran. */
  add<T = unknown>(queue: (p: ChainableCommander) => unknown, then?: (reply: T) => void): void {
    queue(this.pipeline);
    const index = this.commands++;
    if (then) this.steps.push((results) => then(results[index][1] as T));
  }

  /** A callback with no command of its own, run in queue order after the batch ran. */
  after(then: () => void): void {
    this.steps.push(() => then());
  }

  /** Runs the pipeline, then the callbacks; throws (so the batch is retried) if any command failed. */
  async exec(): Promise<void> {
    let results: Results = [];
    if (this.commands > 0) {
      const replies = await this.pipeline.exec();
      if (!replies) throw new Error('pipeline aborted');
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0];
      results = replies;
    }
    for (const step of this.steps) step(results);
  }
}
