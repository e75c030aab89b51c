import { BaseRpcContext } from '@nestjs/microservices';
import { EventOrigin } from './event-pump';

/**
 * What a handler may take with `@Ctx()`: the entry's stream and id (a stable key for
 * idempotent writes), when it was appended, and whether it may have been handled before.
 */
export class RedisStreamContext extends BaseRpcContext<[origin: EventOrigin, t: number]> {
  getStream(): string {
    return this.args[0].stream;
  }

  getId(): string {
    return this.args[0].id;
  }

  isRedelivered(): boolean {
    return this.args[0].redelivered;
  }

  /** When the producer appended the event (ms since epoch). */
  getAppendedAt(): number {
    return this.args[1];
  }
}

/**
 * The context of `@Ctx() ctx: unknown` as a RedisStreamContext (Nest 12 types handler
 * arguments after the data as `unknown`).
 */
export function streamContext(ctx: unknown): RedisStreamContext {
  if (!(ctx instanceof RedisStreamContext)) throw new Error('not a RedisStreamsServer event context');
  return ctx;
}
