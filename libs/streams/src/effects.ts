import type { DeadLetter } from './batch-committer';

/**
 * One Redis write a batch makes visible outside PostgreSQL, as data: the committer writes a
 * batch's effects in order, atomically with the batch's XACK (see BatchCommitter).
 */
export type Effect = [command: 'publish' | 'spublish' | 'sadd' | 'srem' | 'xadd' | 'xack' | 'xtrim', key: string, ...args: string[]];

/**
 * The effects of one batch (or one sweep), collected while it runs and written only after
 * its database work committed. Knows nothing of frames or channels: ChatEffects (messaging)
 * builds the chat's replies and events on top of it.
 */
export class Effects {
  readonly list: Effect[] = [];
  /** Entries of the batch that failed on their own, set aside with their error. */
  readonly deadLetters: DeadLetter[] = [];
  private readonly settled: (() => void)[] = [];

  get size(): number {
    return this.list.length;
  }

  add(effect: Effect): void {
    this.list.push(effect);
  }

  /** A point to roll back to: what an op added before it failed must not go out. */
  mark(): { effects: number; deadLetters: number } {
    return { effects: this.list.length, deadLetters: this.deadLetters.length };
  }

  rollbackTo(mark: { effects: number; deadLetters: number }): void {
    this.list.length = mark.effects;
    this.deadLetters.length = mark.deadLetters;
  }

  deadLetter(entry: DeadLetter): void {
    this.deadLetters.push(entry);
  }

  /** Runs once the effects were written or given up (presence ends its publish turn there). */
  onSettled(fn: () => void): void {
    this.settled.push(fn);
  }

  settle(): void {
    for (const fn of this.settled.splice(0)) fn();
  }
}
