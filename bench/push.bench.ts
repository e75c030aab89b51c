/**
 * `npm run bench:push`: how many notifications per second one push instance sustains, and
 * what each costs it in CPU. The real stack (gateway, messages, presence, ONE push instance,
 * a fresh PostgreSQL database) and a push endpoint in this process that accepts every request
 * (201) as a push service would. BENCH_RECIPIENTS (default 500) offline members, each with one
 * Web Push subscription, are in a private room; its owner sends BENCH_MESSAGES (default 40)
 * messages with `@room`, back to back, so the push instance has BENCH_RECIPIENTS ×
 * BENCH_MESSAGES notifications to make (event → recipients → BullMQ jobs → VAPID + aes128gcm →
 * POST). Throughput = notifications / (last arrival − first send); latency = arrival − the
 * send's acknowledgement. Results: bench/results/push-<date>.json.
 */
import { createECDH, createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { num } from './lib/config';
import { onCleanup } from './lib/cleanup';
import { Histogram } from './lib/histogram';
import { guestToken, OursStack } from './lib/ours-stack';
import { cpuSeconds } from './lib/proc-stats';
import { PushSink } from './lib/push-sink';
import { finish, log, reportHeader, resultsPath, runMain, startRun } from './lib/run';

interface Cfg {
  recipients: number;
  messages: number;
  concurrency: number;
  timeoutSeconds: number;
  databaseAdminUrl: string;
}

const loadCfg = (): Cfg => ({
  recipients: Math.floor(num('BENCH_RECIPIENTS', 500, 1)),
  messages: Math.floor(num('BENCH_MESSAGES', 40, 1)),
  concurrency: Math.floor(num('BENCH_PUSH_CONCURRENCY', 32, 1)),
  timeoutSeconds: 600,
  databaseAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
});

/** The owner's socket: requests by ref. */
async function openSocket(url: string, token: string) {
  const ws = new WebSocket(`${url}?token=${token}`);
  const pending = new Map<string, (frame: { ok: boolean; data?: any; error?: unknown }) => void>();
  ws.on('message', (raw) => {
    const frame = JSON.parse(String(raw));
    if (frame.type === 'reply') pending.get(frame.ref)?.(frame);
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (raw) => String(raw).includes('"hello"') && resolve());
    ws.on('error', reject);
  });
  let refs = 0;
  return {
    async call(type: string, data: unknown): Promise<any> {
      const ref = `r${++refs}`;
      const frame = await new Promise<{ ok: boolean; data?: any; error?: unknown }>((resolve) => {
        pending.set(ref, resolve);
        ws.send(JSON.stringify({ type, ref, data }));
      });
      pending.delete(ref);
      if (!frame.ok) throw new Error(`${type}: ${JSON.stringify(frame.error)}`);
      return frame.data;
    },
    close: () => ws.close(),
  };
}

/** The Topic header push sets for a message (libs/push topicOf). */
const topicOf = (messageId: string) => createHash('sha256').update(messageId).digest('base64url').slice(0, 32);

async function inBatches<T>(count: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => fn(start + k)))));
  }
  return out;
}

runMain(async () => {
  const { cfg, started, t0 } = startRun(loadCfg);
  const sink = await PushSink.start();
  onCleanup('push sink', () => sink.close());
  const ours = new OursStack();
  onCleanup('push stack', () => ours.stop());
  log(`push: ${cfg.recipients} offline recipients × ${cfg.messages} messages, one push instance (concurrency ${cfg.concurrency})`);
  const stack = await ours.start(
    cfg.databaseAdminUrl,
    { gateways: 1, messages: 1, presence: 1, push: 1 },
    { PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true', PUSH_CONCURRENCY: String(cfg.concurrency) },
  );
  const api = ours.apiBase();
  const tag = randomBytes(3).toString('hex');
  const owner = await openSocket(stack.gatewayUrls[0], await guestToken(api, `pbo${tag}`));
  const { room } = await owner.call('room.create', { name: 'push-bench', kind: 'private' });

  log('signing in, subscribing and inviting the recipients');
  await inBatches(cfg.recipients, 25, async (i) => {
    const token = await guestToken(api, `pb${tag}${i}`);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const res = await fetch(`${api}/push/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        endpoint: `${sink.origin}/p/${i}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
      }),
    });
    if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${await res.text()}`);
    const me = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string };
    await owner.call('room.invite', { roomId: room.id, userId: me.sub });
  });

  const send = async (k: number) => (await owner.call('message.send', { roomId: room.id, text: `@room bench ${k}`, clientMsgId: `b${k}` })).message.id as string;
  log('warming up (one message)');
  await send(0);
  await sink.until(cfg.recipients, 60_000);
  if (sink.count < cfg.recipients) throw new Error(`warm-up: ${sink.count}/${cfg.recipients} notifications arrived`);
  sink.reset();

  const push = stack.processes.find((p) => p.name.startsWith('push'))!;
  const cpuBefore = cpuSeconds(push.pid)!;
  const expected = cfg.recipients * cfg.messages;
  const ackedAt = new Map<string, number>();
  const firstSend = performance.now();
  for (let k = 1; k <= cfg.messages; k++) {
    const id = await send(k);
    ackedAt.set(topicOf(id), performance.now());
  }
  const sendsDone = performance.now();
  await sink.until(expected, 180_000);
  const cpu = cpuSeconds(push.pid)! - cpuBefore;

  const latency = new Histogram();
  let last = firstSend;
  for (const [key, at] of sink.arrivals) {
    const acked = ackedAt.get(key.split(' ')[1]);
    if (acked !== undefined) latency.recordMs(at - acked);
    last = Math.max(last, at);
  }
  const seconds = (last - firstSend) / 1000;
  const perSecond = sink.arrivals.size / seconds;
  const cpuPer1k = (cpu * 1000) / (sink.arrivals.size / 1000);
  const summary = latency.summary();
  const ms = (v: number | null) => (v === null ? '—' : v.toFixed(0));
  const table = [
    '| measure | value |',
    '| --- | --- |',
    `| notifications made (recipients × messages) | ${sink.arrivals.size} of ${expected} |`,
    `| duplicates | ${sink.duplicates} |`,
    `| sends acknowledged in | ${((sendsDone - firstSend) / 1000).toFixed(2)} s |`,
    `| **notifications/s, one push instance** | **${perSecond.toFixed(0)}** |`,
    `| push process CPU per 1k notifications | ${cpuPer1k.toFixed(0)} ms (${((cpu / seconds) * 100).toFixed(0)} % of a core) |`,
    `| latency ack → push service p50 / p99 / max (a burst: queueing included) | ${ms(summary.p50Ms)} / ${ms(summary.p99Ms)} / ${ms(summary.maxMs)} ms |`,
  ].join('\n');
  console.log(`\n${table}\n`);
  const path = resultsPath(process.env.BENCH_OUT, 'push', started);
  writeFileSync(
    path,
    JSON.stringify(
      {
        ...reportHeader('push', started, t0),
        config: cfg,
        notifications: sink.arrivals.size,
        expected,
        duplicates: sink.duplicates,
        seconds,
        notificationsPerSecond: perSecond,
        pushCpuSeconds: cpu,
        pushCpuMsPer1k: cpuPer1k,
        latencyMs: summary,
      },
      null,
      2,
    ),
  );
  log(`wrote ${path}`);
  owner.close();
  await finish({});
});
