import { Envelope, User } from '@chat/protocol';
import { Outbox } from '@chat/streams';

/** One op being processed: who sent it, how to answer, where its effects go. */
export interface OpContext {
  env: Envelope;
  user: User;
  ref?: string;
  out: Outbox;
  /** `<stream>#<entry id>`: unique and stable across redeliveries, so ids derived from it are idempotent. */
  entryKey: string;
  /** The entry may have been processed before (claimed from a dead owner, or retried). */
  redelivered: boolean;
}

export interface OpHandler<D> {
  handle(ctx: OpContext, data: D): Promise<void>;
}
