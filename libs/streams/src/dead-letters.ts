import Redis from 'ioredis';
import { Keys } from '@chat/redis';

/** One entry set aside on a dead-letter stream: the original entry and why it failed. */
export interface DeadLetterRecord {
  /** Its id on the dead-letter stream. */
  id: string;
  stream: string;
  originalId: string;
  error: string;
  at: string;
  /** The original entry's fields, as they were on `stream`. */
  fields: string[];
}

const META = new Set(['dl.stream', 'dl.id', 'dl.error', 'dl.at']);

/**
 * The operator's side of dead letters: list them, put one back on its stream (after the
 * cause is fixed: it is processed again like a new entry), or drop it.
 */
export class DeadLetters {
  constructor(private readonly redis: Redis) {}

  /**
   * Every stream that can have dead letters: each shard's ops and events (`chat:in:{n}`,
   * `chat:events:{n}`), reads, searches and presence. (Replaying an event puts it back for
   * every consumer group of its stream: consumers apply events idempotently.)
   */
  streams(shards: number): string[] {
    const perShard = Array.from({ length: shards }, (_, n) => [Keys.inStream(n), Keys.eventStream(n)]).flat();
    return [...perShard, Keys.readsIn(), Keys.searchIn(), Keys.presenceIn()];
  }

  async list(stream: string, count = 100): Promise<DeadLetterRecord[]> {
    const raw = (await this.redis.xrange(Keys.deadLetters(stream), '-', '+', 'COUNT', count)) as [string, string[]][];
    return raw.map(([id, flat]) => toRecord(id, flat));
  }

  /** Appends the original entry to its stream again and removes the dead letter. */
  async replay(stream: string, id: string): Promise<string> {
    const record = await this.find(stream, id);
    const [[, newId]] = (await this.redis.multi().xadd(record.stream, '*', ...record.fields).xdel(Keys.deadLetters(stream), id).exec()) as [[unknown, string]];
    return newId;
  }

  async drop(stream: string, id: string): Promise<void> {
    await this.find(stream, id);
    await this.redis.xdel(Keys.deadLetters(stream), id);
  }

  private async find(stream: string, id: string): Promise<DeadLetterRecord> {
    const raw = (await this.redis.xrange(Keys.deadLetters(stream), id, id)) as [string, string[]][];
    if (raw.length === 0) throw new Error(`no dead letter ${id} on ${Keys.deadLetters(stream)}`);
    return toRecord(raw[0][0], raw[0][1]);
  }
}

function toRecord(id: string, flat: string[]): DeadLetterRecord {
  const fields: string[] = [];
  const meta: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (META.has(flat[i])) meta[flat[i]] = flat[i + 1];
    else fields.push(flat[i], flat[i + 1]);
  }
  return {
    id,
    stream: meta['dl.stream'],
    originalId: meta['dl.id'],
    error: meta['dl.error'],
    at: new Date(Number(meta['dl.at'])).toISOString(),
    fields,
  };
}
