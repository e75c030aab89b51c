/**
 * Search bench (libs/search) against the local PostgreSQL, in a fresh bench_<random> database:
 *  1. load: BENCH_SEARCH_MESSAGES (1,000,000) messages over BENCH_SEARCH_ROOMS (1,000) rooms,
 *     generated in SQL, then `reindexSearch` builds search_messages from them (timed apart);
 *  2. queries: as a user who is a member of BENCH_SEARCH_READER_ROOMS (20) rooms, latency of
 *     each query kind (common / rare word, phrase, or, one-letter typo, room filter), run one
 *     after another on one connection, BENCH_SEARCH_QUERIES (50) of each;
 *  3. apply: SearchIndex.apply throughput with batches of BENCH_SEARCH_BATCH (500)
 *     message.created events for BENCH_SEARCH_APPLY_SECONDS (6).
 * Writes bench/results/search-<date>.json and prints a table. Bounded by
 * BENCH_TIMEOUT_SECONDS (180): past it the run stops and the database is dropped.
 *
 *   npm run bench:search
 *   BENCH_SEARCH_MESSAGES=200000 npm run bench:search
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Message } from '@chat/protocol';
import { ChatEvent, SearchIndex, SearchQueries, reindexSearch } from '@chat/search';
import { Database, openDatabase } from '@chat/store';
import { onCleanup } from './lib/cleanup';
import { Histogram, LatencySummary } from './lib/histogram';
import { createTempDatabase } from './lib/pg-database';
import { finish, log, reportHeader, resultsPath, runMain, startRun } from './lib/run';
import { loadCorpus, roomId, vocabulary } from './lib/search-corpus';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

function loadConfig() {
  return {
    messages: num('BENCH_SEARCH_MESSAGES', 1_000_000),
    rooms: num('BENCH_SEARCH_ROOMS', 1_000),
    readerRooms: num('BENCH_SEARCH_READER_ROOMS', 20),
    vocabulary: num('BENCH_SEARCH_VOCABULARY', 2_000),
    queriesPerKind: num('BENCH_SEARCH_QUERIES', 50),
    applyBatch: num('BENCH_SEARCH_BATCH', 500),
    applySeconds: num('BENCH_SEARCH_APPLY_SECONDS', 6),
    databaseAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    out: process.env.BENCH_OUT,
    timeoutSeconds: num('BENCH_TIMEOUT_SECONDS', 180),
  };
}

interface QueryKind {
  kind: string;
  /** The i-th query of this kind, and its room filter if any. */
  make(i: number): { query: string; roomId?: string };
}

/** One letter replaced by the next one of the alphabet, in the middle of the word. */
function typo(word: string): string {
  const at = Math.floor(word.length / 2);
  const ch = word[at] === 'z' ? 'a' : String.fromCharCode(word.charCodeAt(at) + 1);
  return word.slice(0, at) + ch + word.slice(at + 1);
}

function queryKinds(vocab: string[], readerRooms: string[], phrases: string[]): QueryKind[] {
  const common = vocab.slice(0, 20);
  const mid = vocab.slice(200, 400);
  const rare = vocab.slice(vocab.length - 300);
  const long = vocab.filter((w) => w.length >= 6);
  return [
    { kind: 'common word', make: (i) => ({ query: common[i % common.length] }) },
    { kind: 'mid word', make: (i) => ({ query: mid[i % mid.length] }) },
    { kind: 'rare word', make: (i) => ({ query: rare[i % rare.length] }) },
    { kind: 'two words', make: (i) => ({ query: `${mid[i % mid.length]} ${common[i % common.length]}` }) },
    { kind: 'phrase', make: (i) => ({ query: `"${phrases[i % phrases.length]}"` }) },
    { kind: 'or', make: (i) => ({ query: `${mid[i % mid.length]} or ${rare[i % rare.length]}` }) },
    { kind: 'typo', make: (i) => ({ query: typo(long[(i * 7) % long.length]) }) },
    { kind: 'room filter', make: (i) => ({ query: mid[i % mid.length], roomId: readerRooms[i % readerRooms.length] }) },
  ];
}

async function measureQueries(db: Database, readerId: string, kinds: QueryKind[], perKind: number) {
  const queries = new Search(db);
  const rows: { kind: string; latency: LatencySummary; meanHits: number }[] = [];
  const all = new Histogram();
  for (const k of kinds) {
    // Warm-up: plans cached, pages in memory, as on a running server.
    for (let i = 0; i < 5; i++) await queries.run(readerId, k.make(perKind + i));
    const h = new Histogram();
    let hits = 0;
    for (let i = 0; i < perKind; i++) {
      const t = performance.now();
      hits += await queries.run(readerId, k.make(i));
      const ms = performance.now() - t;
      h.recordMs(ms);
      all.recordMs(ms);
    }
    rows.push({ kind: k.kind, latency: h.summary(), meanHits: Math.round((hits / perKind) * 10) / 10 });
    log(`${k.kind}: p50 ${h.summary().p50Ms} ms, p99 ${h.summary().p99Ms} ms`);
  }
  return { rows, all: all.summary() };
}

/** SearchQueries with the default limit (20), returning the hit count. */
class Search {
  private readonly q: SearchQueries;
  constructor(db: Database) {
    this.q = new SearchQueries(db);
  }
  async run(userId: string, req: { query: string; roomId?: string }): Promise<number> {
    return (await this.q.search(userId, req)).hits.length;
  }
}

async function measureApply(db: Database, vocab: string[], cfg: ReturnType<typeof loadConfig>) {
  const index = new SearchIndex(db);
  const latency = new Histogram();
  let seq = Math.ceil(cfg.messages / cfg.rooms) + 1;
  let events = 0;
  const t0 = performance.now();
  const deadline = t0 + cfg.applySeconds * 1000;
  while (performance.now() < deadline) {
    const batch: ChatEvent[] = [];
    const now = new Date().toISOString();
    for (let i = 0; i < cfg.applyBatch; i++) {
      const room = roomId((events + i) % cfg.rooms);
      const text = Array.from({ length: 6 }, (_, k) => vocab[(events * 7 + i * 13 + k * 101) % vocab.length]).join(' ');
      const message: Message = {
        id: `${room}:${seq}`,
        roomId: room,
        seq,
        author: { id: 'u1', username: 'user1' },
        text,
        createdAt: now,
        reactions: [],
        attachments: [],
      };
      batch.push({ type: 'message.created', data: { message } });
      if ((events + i + 1) % cfg.rooms === 0) seq++;
    }
    const t = performance.now();
    await index.apply(batch);
    latency.recordMs(performance.now() - t);
    events += batch.length;
    seq++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { events, seconds: Math.round(seconds * 100) / 100, eventsPerSecond: Math.round(events / seconds), batchSize: cfg.applyBatch, batchLatency: latency.summary() };
}

async function main(): Promise<void> {
  const { cfg, started, t0 } = startRun(loadConfig);
  const temp = await createTempDatabase(cfg.databaseAdminUrl);
  onCleanup('bench database', () => temp.drop());
  const db = await openDatabase({ url: temp.url, poolSize: 4 });
  onCleanup('pool', () => db.close());
  log(`database ${temp.name}: loading ${cfg.messages} messages over ${cfg.rooms} rooms`);

  const vocab = vocabulary(cfg.vocabulary);
  let t = performance.now();
  const corpus = await loadCorpus(db, { messages: cfg.messages, rooms: cfg.rooms, readerRooms: cfg.readerRooms, vocab });
  const loadMessagesSeconds = (performance.now() - t) / 1000;
  log(`messages loaded in ${loadMessagesSeconds.toFixed(1)} s; reindexing`);
  t = performance.now();
  const reindex = await reindexSearch(db, { batchSize: 50_000 });
  const reindexSeconds = (performance.now() - t) / 1000;
  await db.query('VACUUM ANALYZE search_messages');
  await db.query('ANALYZE messages');
  await db.query('ANALYZE room_members');
  log(`reindexed ${reindex.messages} in ${reindexSeconds.toFixed(1)} s`);

  // Phrases that exist: two consecutive words of messages in the reader's rooms.
  const sample = await db.query<{ text: string }>(
    `SELECT text FROM messages WHERE room_id = ANY($1::text[]) AND seq % 97 = 0 LIMIT 200`,
    [corpus.readerRooms],
  );
  const phrases = sample.map((r) => r.text.split(' ').slice(1, 3).join(' '));
  const queries = await measureQueries(db, corpus.readerId, queryKinds(vocab, corpus.readerRooms, phrases), cfg.queriesPerKind);
  log(`apply: batches of ${cfg.applyBatch} message.created for ${cfg.applySeconds} s`);
  const apply = await measureApply(db, vocab, cfg);

  const [size] = await db.query<{ table: string; indexes: string }>(
    `SELECT pg_size_pretty(pg_table_size('search_messages')) AS table, pg_size_pretty(pg_indexes_size('search_messages')) AS indexes`,
  );
  const result = {
    ...reportHeader('search', started, t0),
    config: { ...cfg, databaseAdminUrl: undefined },
    load: {
      messages: corpus.messages,
      rooms: corpus.rooms,
      readerRooms: corpus.readerRooms.length,
      messagesInReaderRooms: Math.round((corpus.messages * corpus.readerRooms.length) / corpus.rooms),
      loadMessagesSeconds: Math.round(loadMessagesSeconds * 10) / 10,
      reindexSeconds: Math.round(reindexSeconds * 10) / 10,
      reindexMessagesPerSecond: Math.round(reindex.messages / reindexSeconds),
      searchTableSize: size.table,
      searchIndexesSize: size.indexes,
    },
    queries,
    apply,
  };
  const path = resultsPath(cfg.out, 'search', started);
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');

  console.log('');
  console.log(`load: ${corpus.messages} messages in ${result.load.loadMessagesSeconds} s, reindex ${result.load.reindexSeconds} s (${result.load.reindexMessagesPerSecond}/s); search_messages ${size.table} + indexes ${size.indexes}`);
  console.log(`queries as a member of ${corpus.readerRooms.length} rooms (${result.load.messagesInReaderRooms} messages), ${cfg.queriesPerKind} each, limit 20:`);
  console.log('| query | p50 ms | p99 ms | max ms | mean hits |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of queries.rows) console.log(`| ${r.kind} | ${r.latency.p50Ms} | ${r.latency.p99Ms} | ${r.latency.maxMs} | ${r.meanHits} |`);
  console.log(`| all | ${queries.all.p50Ms} | ${queries.all.p99Ms} | ${queries.all.maxMs} | |`);
  console.log(`apply: ${apply.eventsPerSecond} message.created/s (batches of ${apply.batchSize}: p50 ${apply.batchLatency.p50Ms} ms, p99 ${apply.batchLatency.p99Ms} ms)`);
  console.log(`results: ${path}`);
  await finish({});
}

runMain(main);
