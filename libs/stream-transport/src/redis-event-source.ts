import Redis from 'ioredis';
import { RedisErrorLog, createRedis, isCluster } from '@chat/redis';
import { DeadLetter, RedisBatchCommitter } from '@chat/streams';
import { EventSource, SourceEntry } from './event-source';

type RawEntry = [id: string, fields: string[] | null];

/**
 * On a Redis Cluster, the longest an idle read blocks on one stream before all of them are
 * looked at again: the bound on how late an event is seen there.
 */
const CLUSTER_POLL_MS = 100;

/**
 * EventSource on Redis. Two connections: blocking reads hold one; claims, acks and dead
 * letters go through the other, so they never wait behind a blocked XREADGROUP.
 * Acks never trim: the event streams are read by other groups too (the producer caps them).
 */
export class RedisEventSource implements EventSource {
  private readonly reader: Redis;
  private readonly commands: Redis;
  private readonly committer: RedisBatchCommitter;
  /** The reader connection's CLIENT ID (for CLIENT UNBLOCK); forgotten when it reconnects. */
  private readerId?: number;
  /** The stream an idle read blocks on next, on a cluster (they take turns). */
  private turn = 0;

  constructor(
    redisUrl: string,
    private readonly streams: string[],
    private readonly group: string,
    private readonly consumer: string,
    log?: RedisErrorLog,
  ) {
    this.reader = createRedis(redisUrl, `${consumer}:events-read`, {}, log);
    this.commands = createRedis(redisUrl, `${consumer}:events`, {}, log);
    this.committer = new RedisBatchCommitter(this.commands);
    this.reader.on('close', () => (this.readerId = undefined));
  }

  /** The command connection, for whoever unwraps the transport. */
  get redis(): Redis {
    return this.commands;
  }

  async ensureGroups(): Promise<void> {
    for (const stream of this.streams) {
      try {
        await this.commands.xgroup('CREATE', stream, this.group, '0', 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
      }
    }
  }

  async readNew(streams: string[], count: number, blockMs: number): Promise<{ stream: string; entries: SourceEntry[] }[]> {
    if (isCluster(this.reader)) return this.readNewOnCluster(streams, count, blockMs);
    this.readerId ??= Number(await this.reader.client('ID'));
    const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
    const res = (await xreadgroup(this.reader)(
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      count,
      ...block,
      'STREAMS',
      ...streams,
      ...streams.map(() => '>'),
    )) as [string, RawEntry[]][] | null;
    return (res ?? []).map(([stream, raw]) => ({ stream, entries: toEntries(raw) }));
  }

  /**
   * A cluster refuses one XREADGROUP over streams of several slots: each stream is read on
   * its own, all at once (each goes to its node); only when none had anything does the read
   * block, briefly and on one stream in turn, so an idle consumer polls instead of spinning.
   */
  private async readNewOnCluster(streams: string[], count: number, blockMs: number): Promise<{ stream: string; entries: SourceEntry[] }[]> {
    const readOne = async (stream: string, block: (string | number)[]) => {
      const res = (await xreadgroup(this.reader)('GROUP', this.group, this.consumer, 'COUNT', count, ...block, 'STREAMS', stream, '>')) as [string, RawEntry[]][] | null;
      return res ? [{ stream, entries: toEntries(res[0][1]) }] : [];
    };
    const found = (await Promise.all(streams.map((stream) => readOne(stream, [])))).flat().filter((r) => r.entries.length > 0);
    if (found.length > 0 || blockMs <= 0) return found;
    const stream = streams[this.turn++ % streams.length];
    return readOne(stream, ['BLOCK', Math.min(blockMs, CLUSTER_POLL_MS)]);
  }

  async readOwnPending(stream: string, count: number): Promise<SourceEntry[]> {
    // With an id instead of `>`, XREADGROUP returns this consumer's own pending entries.
    const res = (await xreadgroup(this.commands)('GROUP', this.group, this.consumer, 'COUNT', count, 'STREAMS', stream, '0')) as
      | [string, RawEntry[]][]
      | null;
    return res ? toEntries(res[0][1]) : [];
  }

  async claimIdle(stream: string, count: number, minIdleMs: number): Promise<SourceEntry[]> {
    // Entries trimmed away while pending are dropped from the group by XAUTOCLAIM itself (Redis 7).
    const [, raw] = (await this.commands.xautoclaim(stream, this.group, this.consumer, minIdleMs, '0-0', 'COUNT', count)) as [string, RawEntry[]];
    return toEntries(raw);
  }

  async settle(stream: string, ids: string[], deadLetters: DeadLetter[]): Promise<void> {
    if (ids.length === 0 && deadLetters.length === 0) return;
    await this.committer.commit({ effects: ids.length > 0 ? [['xack', stream, this.group, ...ids]] : [], deadLetters });
  }

  async behind(stream: string): Promise<number | undefined> {
    const groups = (await this.commands.xinfo('GROUPS', stream)) as unknown[][];
    for (const row of groups) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < row.length; i += 2) info[String(row[i])] = row[i + 1];
      if (info.name !== this.group) continue;
      // `lag` is null when Redis cannot tell (entries deleted in the middle): pending alone then.
      return Number(info.pending ?? 0) + (info.lag === null || info.lag === undefined ? 0 : Number(info.lag));
    }
    return undefined;
  }

  async interruptRead(): Promise<void> {
    if (this.readerId !== undefined) await this.commands.client('UNBLOCK', this.readerId);
  }

  close(): void {
    this.reader.disconnect();
    this.commands.disconnect();
  }
}

/** XREADGROUP with arguments built at run time (ioredis's overloads want them literal). */
function xreadgroup(redis: Redis): (...args: (string | number)[]) => Promise<unknown> {
  return (redis.xreadgroup as unknown as (...args: (string | number)[]) => Promise<unknown>).bind(redis);
}

function toEntries(raw: RawEntry[]): SourceEntry[] {
  return raw.map(([id, fields]) => ({ id, fields }));
}
