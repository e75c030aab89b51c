/**
 * `npm run bench:search-lag`: how far the search index trails the chat under 1,000 messages/s.
 * The real stack (two gateways, two messages instances, presence, two search instances, a
 * fresh PostgreSQL database): 10 members of one room each send 100 messages/s for
 * BENCH_SECONDS (default 10) over plain WebSockets; every 20 ms the bench asks PostgreSQL
 * which of the acknowledged messages the index holds. Lag of a message = when the index first
 * held it − when its send was acknowledged (after COMMIT). Results: bench/results/search-lag-<date>.json.
 */
import { Client } from 'pg';
import WebSocket from 'ws';
import { Histogram } from './lib/histogram';
import { num } from './lib/config';
import { onCleanup } from './lib/cleanup';
import { OursStack } from './lib/ours-stack';
import { finish, log, reportHeader, resultsPath, runMain, startRun } from './lib/run';
import { writeFileSync } from 'node:fs';

interface Cfg {
  seconds: number;
  rate: number;
  senders: number;
  timeoutSeconds: number;
  databaseAdminUrl: string;
}

const loadCfg = (): Cfg => {
  const seconds = num('BENCH_SECONDS', 10, 1);
  return {
    seconds,
    rate: num('BENCH_RATE', 1000, 10),
    senders: Math.floor(num('BENCH_SENDERS', 10, 1)),
    timeoutSeconds: 120 + seconds * 3,
    databaseAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
};

/** A member's socket: sends frames with refs, resolves replies. */
class Member {
  private readonly pending = new Map<string, (frame: { ok: boolean; data?: any }) => void>();
  private refs = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { type: string; ref?: string; ok: boolean; data?: any };
      if (frame.type === 'reply' && frame.ref) this.pending.get(frame.ref)?.(frame);
    });
  }

  static async open(url: string, token: string): Promise<Member> {
    const ws = new WebSocket(`${url}?token=${token}`);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (raw) => String(raw).includes('"hello"') && resolve());
      ws.on('error', reject);
    });
    return new Member(ws);
  }

  request(type: string, data: unknown): Promise<{ ok: boolean; data?: any }> {
    const ref = `r${++this.refs}`;
    return new Promise((resolve) => {
      this.pending.set(ref, (frame) => {
        this.pending.delete(ref);
        resolve(frame);
      });
      this.ws.send(JSON.stringify({ type, ref, data }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

async function guestToken(apiBase: string, username: string): Promise<string> {
  const res = await fetch(`${apiBase}/auth/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) });
  return ((await res.json()) as { token: string }).token;
}

runMain(async () => {
  const { cfg, started, t0 } = startRun(loadCfg);
  const ours = new OursStack();
  onCleanup('search-lag stack', () => ours.stop());
  log(`search lag: ${cfg.rate} messages/s for ${cfg.seconds} s, ${cfg.senders} senders, search ×2`);
  const stack = await ours.start(cfg.databaseAdminUrl, { gateways: 2, messages: 2, presence: 1, search: 2 });
  const tag = Date.now().toString(36).slice(-5);
  const members = await Promise.all(
    Array.from({ length: cfg.senders }, async (_, i) => Member.open(stack.gatewayUrls[i % 2], await guestToken(ours.apiBase(), `lag${tag}${i}`))),
  );
  const created = await members[0].request('room.create', { name: 'lag' });
  const roomId: string = created.data.room.id;
  for (const m of members.slice(1)) await m.request('room.join', { roomId });

  const pg = new Client({ connectionString: ours.db!.url });
  await pg.connect();
  const ackedAt = new Map<number, number>();
  const lag = new Histogram();
  let maxBacklog = 0;
  let polling = true;
  let drainStart = 0;
  const poller = (async () => {
    while (polling || ackedAt.size > 0) {
      const waiting = [...ackedAt.keys()];
      if (waiting.length > 0) {
        const rows = await pg.query('SELECT seq FROM search_messages WHERE room_id = $1 AND seq = ANY($2::int[])', [roomId, waiting]);
        const now = performance.now();
        for (const { seq } of rows.rows as { seq: number }[]) {
          lag.recordMs(now - ackedAt.get(Number(seq))!);
          ackedAt.delete(Number(seq));
        }
        maxBacklog = Math.max(maxBacklog, ackedAt.size);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (!polling && performance.now() - drainStart > 30_000) break;
    }
  })();

  const perSender = Math.ceil(cfg.rate / cfg.senders);
  const total = perSender * cfg.senders * cfg.seconds;
  let sent = 0;
  const loadStart = performance.now();
  await Promise.all(
    members.map(async (m, i) => {
      for (let k = 0; k < perSender * cfg.seconds; k++) {
        const due = loadStart + (k * 1000) / perSender;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        void m.request('message.send', { roomId, text: `lag ${i} ${k} walrus zebra ${k % 97}`, clientMsgId: `${i}-${k}` }).then((reply) => {
          if (reply.ok) ackedAt.set(reply.data.message.seq, performance.now());
        });
        sent++;
      }
    }),
  );
  drainStart = performance.now();
  polling = false;
  await poller;
  const summary = lag.summary();
  const lost = ackedAt.size;
  const ms = (v: number | null) => (v === null ? '—' : v.toFixed(1));
  log(`sent ${sent}/${total}; index lag p50 ${ms(summary.p50Ms)} ms, p99 ${ms(summary.p99Ms)} ms, max ${ms(summary.maxMs)} ms; max backlog ${maxBacklog}; not indexed after 30 s: ${lost}`);
  const table = [
    '| measure | value |',
    '| --- | --- |',
    `| messages/s offered | ${cfg.rate} |`,
    `| index lag p50 / p95 / p99 / max (ack → in the index) | ${ms(summary.p50Ms)} / ${ms(summary.p95Ms)} / ${ms(summary.p99Ms)} / ${ms(summary.maxMs)} ms |`,
    `| largest backlog seen (acknowledged, not yet indexed) | ${maxBacklog} |`,
    `| not indexed 30 s after the load | ${lost} |`,
  ].join('\n');
  console.log(`\n${table}\n`);
  const path = resultsPath(process.env.BENCH_OUT, 'search-lag', started);
  writeFileSync(path, JSON.stringify({ ...reportHeader('search-lag', started, t0), config: cfg, lagMs: summary, maxBacklog, notIndexed: lost, sent }, null, 2));
  log(`wrote ${path}`);
  await pg.end();
  for (const m of members) m.close();
  await finish({});
});
