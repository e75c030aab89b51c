import Redis from 'ioredis';

export interface StreamEntry {
  id: string;
  fields: string[];
}

type RawEntry = [id: string, fields: string[] | null];

function toEntries(raw: RawEntry[]): StreamEntry[] {
  // A null field list is an entry deleted after delivery: nothing to process.
  return raw.filter(([, fields]) => fields !== null).map(([id, fields]) => ({ id, fields: fields! }));
}

/**
 * One consumer of one stream in a consumer group: reads in batches, claims what other
 * consumers left pending, acknowledges in one call. Blocking reads hold the connection, so
 * every reader gets its own.
 */
export class StreamConsumer {
  constructor(
    private readonly redis: Redis,
    readonly stream: string,
    readonly group: string,
    readonly consumer: string,
  ) {}

  /** Creates the group (reading from the start) if it does not exist yet. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /**
   * Takes over entries delivered to any consumer of the group but never acknowledged,
   * oldest first: with `minIdleMs` 0 (the default) every one of them — only while holding
   * the shard's lease, which says the previous reader is gone; otherwise those idle that long.
   */
  async claimPending(count: number, cursor = '0-0', minIdleMs = 0): Promise<{ entries: StreamEntry[]; next: string }> {
    const [next, raw] = (await this.redis.xautoclaim(
      this.stream,
      this.group,
      this.consumer,
      minIdleMs,
      cursor,
      'COUNT',
      count,
    )) as [string, RawEntry[], string[]];
    return { entries: toEntries(raw), next };
  }

  /** New entries, at most `count`, waiting up to `blockMs` for the first one. */
  async readNew(count: number, blockMs: number): Promise<StreamEntry[]> {
    const res = (await this.redis.xreadgroup(
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.stream,
      '>',
    )) as [string, RawEntry[]][] | null;
    return res ? toEntries(res[0][1]) : [];
  }

  /**
   * Entries after `id`, at most `count`, without reading them in the group (XRANGE): they stay
   * new for readNew. For telling their senders something before they can be processed.
   */
  async peekAfter(id: string, count: number): Promise<StreamEntry[]> {
    return toEntries((await this.redis.xrange(this.stream, `(${id}`, '+', 'COUNT', count)) as RawEntry[]);
  }

  /**
   * Acknowledges a processed batch and trims the stream below it. Entries are processed in
   * id order by the shard's only reader, so everything older than the batch is acknowledged.
   */
  async ack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const results = await this.redis
      .pipeline()
      .xack(this.stream, this.group, ...ids)
      .xtrim(this.stream, 'MINID', '~', ids[ids.length - 1])
      .exec();
    // A pipeline reports per-command errors in its results instead of rejecting.
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Removes consumers of this group other than us that hold no pending entries. */
  async forgetIdleConsumers(): Promise<void> {
    const consumers = (await this.redis.xinfo('CONSUMERS', this.stream, this.group)) as unknown[][];
    for (const row of consumers) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < row.length; i += 2) info[String(row[i])] = row[i + 1];
      if (info.name !== this.consumer && Number(info.pending) === 0) {
        await this.redis.xgroup('DELCONSUMER', this.stream, this.group, String(info.name));
      }
    }
  }
}
