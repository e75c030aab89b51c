import type Redis from 'ioredis';
import { Gauge, oncePerProcess } from '@chat/observability';
import { Keys, pipelineAcrossSlots } from '@chat/redis';

/** A stream a service consumes in a consumer group: its backlog and its dead letters are reported. */
export interface WatchedGroup {
  stream: string;
  group: string;
}

export interface GroupSample {
  stream: string;
  group: string;
  /** Entries not yet delivered to the group (XINFO GROUPS `lag`); absent when Redis cannot tell (after trims or XDEL). */
  lag?: number;
  /** Entries delivered to a consumer and not acknowledged yet. */
  pending: number;
}

export interface StreamSample {
  groups: GroupSample[];
  /** XLEN of `<stream>:dead`, per stream. */
  deadLetters: Map<string, number>;
}

/** Reads the backlog of `watched` and the dead letters of their streams in one round trip. */
export async function sampleStreamGroups(redis: Redis, watched: readonly WatchedGroup[]): Promise<StreamSample> {
  const streams = [...new Set(watched.map((w) => w.stream))];
  const pipeline = pipelineAcrossSlots(redis);
  for (const stream of streams) pipeline.xinfo('GROUPS', stream);
  for (const stream of streams) pipeline.xlen(Keys.deadLetters(stream));
  const replies = (await pipeline.exec()) ?? [];
  const groups: GroupSample[] = [];
  const deadLetters = new Map<string, number>();
  streams.forEach((stream, i) => {
    const [err, info] = replies[i] ?? [];
    // No such stream yet (nothing was ever sent on it): no group to report.
    if (!err) groups.push(...groupsOf(stream, info as unknown[][], watched));
    const [deadErr, dead] = replies[streams.length + i] ?? [];
    if (!deadErr) deadLetters.set(stream, Number(dead));
  });
  return { groups, deadLetters };
}

function groupsOf(stream: string, info: unknown[][], watched: readonly WatchedGroup[]): GroupSample[] {
  const out: GroupSample[] = [];
  for (const flat of info) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    const group = String(fields.get('name'));
    if (!watched.some((w) => w.stream === stream && w.group === group)) continue;
    const lag = fields.get('lag');
    out.push({ stream, group, pending: Number(fields.get('pending') ?? 0), lag: lag === null || lag === undefined ? undefined : Number(lag) });
  }
  return out;
}

/** How long one sample serves scrapes: the three gauges of one scrape share it. */
const SAMPLE_TTL_MS = 1000;
/**
 * How long a scrape waits for Redis. Service connections queue commands while Redis is away
 * (maxRetriesPerRequest: null): without a bound, /metrics would hang — and every other
 * metric with it — exactly when it matters. Past it the backlog series are left out.
 */
const SAMPLE_TIMEOUT_MS = 1000;

function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Gauges of stream backlog, sampled from Redis when Prometheus scrapes (no timer, no cost
 * between scrapes). Every service registers the groups it consumes; in one process (npm
 * start) they add up to one set. Several instances of a service report the same numbers:
 * aggregate with max(), not sum().
 */
const streamGroupMetrics = oncePerProcess(() => {
  const sources = new Map<object, { redis: Redis; watched: readonly WatchedGroup[] }>();
  let cached: { at: number; sample: Promise<StreamSample[]> } | undefined;
  const sample = () => {
    const now = Date.now();
    if (!cached || now - cached.at > SAMPLE_TTL_MS) {
      const all = [...sources.values()].map(({ redis, watched }) => within(SAMPLE_TIMEOUT_MS, sampleStreamGroups(redis, watched)));
      cached = { at: now, sample: Promise.all(all).then((samples) => samples.filter((s): s is StreamSample => s !== undefined)) };
    }
    return cached.sample;
  };
  new Gauge({
    name: 'chat_stream_group_lag_entries',
    help: 'Entries of the stream not yet delivered to the consumer group (XINFO GROUPS lag): work waiting to be read',
    labelNames: ['stream', 'group'],
    async collect() {
      const samples = await sample();
      this.reset();
      for (const g of samples.flatMap((s) => s.groups)) if (g.lag !== undefined) this.set({ stream: g.stream, group: g.group }, g.lag);
    },
  });
  new Gauge({
    name: 'chat_stream_group_pending_entries',
    help: 'Entries delivered to a consumer of the group and not acknowledged (XINFO GROUPS pending): in work, or left by a dead consumer',
    labelNames: ['stream', 'group'],
    async collect() {
      const samples = await sample();
      this.reset();
      for (const g of samples.flatMap((s) => s.groups)) this.set({ stream: g.stream, group: g.group }, g.pending);
    },
  });
  new Gauge({
    name: 'chat_stream_dead_letters',
    help: 'Entries waiting on the stream\'s dead-letter stream <stream>:dead (XLEN) for an operator: npm run dead-letters, or /admin',
    labelNames: ['stream'],
    async collect() {
      const samples = await sample();
      this.reset();
      for (const s of samples) for (const [stream, count] of s.deadLetters) this.set({ stream }, count);
    },
  });
  return { sources, forget: () => (cached = undefined) };
});

/** Reports the backlog and dead letters of `watched` (read through `redis`) until the returned function is called. */
export function watchStreamGroups(redis: Redis, watched: readonly WatchedGroup[]): () => void {
  const { sources, forget } = streamGroupMetrics();
  const key = {};
  sources.set(key, { redis, watched });
  forget();
  return () => {
    sources.delete(key);
    forget();
  };
}
