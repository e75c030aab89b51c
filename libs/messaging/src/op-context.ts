import { Envelope, ErrorCode, User } from '@chat/protocol';
import { WriteFence } from '@chat/store';
import { ChatEffects, deadLetterError } from '@chat/streams';

/** One op being processed: who sent it, how to answer, where its effects go. */
export interface OpContext {
  env: Envelope;
  user: User;
  ref?: string;
  out: ChatEffects;
  /** The stream entry the op came in, kept for the dead-letter stream if it fails on its own. */
  entry: { stream: string; id: string; fields: string[] };
  /** `<stream>#<entry id>`: unique and stable across redeliveries, so ids derived from it are idempotent. */
  entryKey: string;
  /** The entry may have been processed before (claimed from a dead owner, or retried). */
  redelivered: boolean;
  /** The shard owner's fence, which every write carries; absent on the read path (no writes there). */
  fence?: WriteFence;
}

export interface OpHandler<D> {
  handle(ctx: OpContext, data: D): Promise<void>;
}

/** An entry that failed on its own: INTERNAL to its sender, and the entry to the dead-letter stream. */
export function failAlone(ctx: OpContext, err: unknown, message = 'internal error'): void {
  ctx.out.replyError(ctx.env, ctx.ref, { code: ErrorCode.INTERNAL, message });
  ctx.out.deadLetter({ ...ctx.entry, error: deadLetterError(err) });
}
