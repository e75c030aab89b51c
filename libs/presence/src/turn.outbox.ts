import Redis from 'ioredis';
import { Outbox } from '@chat/streams';

/**
 * The Outbox a presence batch returns to the ShardWorker: the worker flushes it (publishes +
 * XACK) right after `process()`, and only then does the batch's turn end, so no sweep
 * publishes in between (see PublishOrderLock).
 */
export class TurnOutbox extends Outbox {
  constructor(private readonly endTurn: () => void) {
    super();
  }

  override async flush(redis: Redis, ack?: { stream: string; group: string; ids: string[] }): Promise<void> {
    try {
      await super.flush(redis, ack);
    } finally {
      this.endTurn();
    }
  }
}
