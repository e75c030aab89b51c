import { Effect } from './effects';
import { ShardFence } from './fence';

/** Entries of one stream to acknowledge (and the stream to trim below the last of them). */
export interface Ack {
  stream: string;
  group: string;
  ids: string[];
  /**
   * How to trim the stream: by default below the last acknowledged id (one reader, in
   * order); a stream read by many consumers at once keeps its newest `maxLen` entries.
   */
  maxLen?: number;
}

/** An entry that failed on its own, kept with its error on the stream's dead-letter stream. */
export interface DeadLetter {
  stream: string;
  id: string;
  fields: string[];
  error: string;
}

export interface Commit {
  effects: Effect[];
  ack?: Ack;
  deadLetters?: DeadLetter[];
  /** The shard's fence: the commit happens only while the lease holds its token. */
  fence?: ShardFence;
}

/**
 * The port through which a batch becomes visible: its effects (replies, room events, cache
 * updates), its XACK and its dead letters, written in order and atomically — all or none.
 * With a fence, it refuses (FencedError) unless the lease still holds the fence's token, so
 * a former owner can never publish or acknowledge after a takeover. Errors other than
 * FencedError mean nothing was written (retry).
 */
export interface BatchCommitter {
  commit(commit: Commit): Promise<void>;
}

/** How a failure is written into a dead letter: `<code> <message>` (the SQLSTATE or errno first). */
export function deadLetterError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (e && typeof e === 'object' && e.message !== undefined) return `${e.code ? `${String(e.code)} ` : ''}${String(e.message)}`;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
