import { DeadLetter } from '@chat/streams';

/** A delivered entry; `fields` is null when the entry was trimmed away after delivery. */
export interface SourceEntry {
  id: string;
  fields: string[] | null;
}

/**
 * The transport's view of Redis: one consumer of one consumer group over several streams.
 * The Redis implementation is RedisEventSource; unit tests use a fake.
 */
export interface EventSource {
  /** Creates the group on every stream (from the start, `0`, with MKSTREAM) when missing. */
  ensureGroups(): Promise<void>;
  /** New entries of these streams (XREADGROUP `>`), waiting up to `blockMs` (0: not at all). */
  readNew(streams: string[], count: number, blockMs: number): Promise<{ stream: string; entries: SourceEntry[] }[]>;
  /** Entries delivered to this consumer and never acknowledged, oldest first (a restart, a retry). */
  readOwnPending(stream: string, count: number): Promise<SourceEntry[]>;
  /** Takes over entries any consumer of the group left pending at least `minIdleMs` (XAUTOCLAIM). */
  claimIdle(stream: string, count: number, minIdleMs: number): Promise<SourceEntry[]>;
  /** Acknowledges `ids` and writes `deadLetters` (on `<stream>:dead`) in one atomic step. */
  settle(stream: string, ids: string[], deadLetters: DeadLetter[]): Promise<void>;
  /** Entries of the stream the group has not finished: pending + not yet delivered (XINFO GROUPS). */
  behind(stream: string): Promise<number | undefined>;
  /** Makes a blocked readNew return now (with nothing, or what it got). */
  interruptRead(): Promise<void>;
  /** Ends a blocked read at once and closes the connections. */
  close(): void;
}
