/**
 * End-to-end bench (DESIGN.md "Targets"): the same chat workload, in one run, against
 *  - socket.io+adapter: Socket.IO 4 + @socket.io/redis-streams-adapter on two processes (baseline),
 *  - ours: api + messages + 2 gateways started by @chat/devstack, Redis and PostgreSQL,
 *  - bare uWS: one uWebSockets.js process with topics (ceiling).
 * Workload: one room, BENCH_CLIENTS (200) members split over the servers, BENCH_SENDERS (10)
 * sending BENCH_TEXT_BYTES (300) byte messages; phase "max" keeps BENCH_WINDOW (16) unacked sends
 * per sender for BENCH_SECONDS (10); phase "rate" sends BENCH_RATE (1000)/s for BENCH_SECONDS;
 * each phase is preceded by BENCH_WARMUP_SECONDS (1) of the same load, not measured.
 * See bench/README.md for every knob and what each row of the table means.
 * Writes bench/results/e2e-<date>.json and prints the table. Exits non-zero only when the
 * harness fails (a system could not be started or driven); a system that loses messages or
 * misses a target is a result, not a failure.
 *
 *   npm run bench:e2e
 *   BENCH_SYSTEMS=socketio,uws BENCH_SECONDS=5 npm run bench:e2e
 */
import { writeFileSync } from 'node:fs';
import { BenchConfig, SystemKey, loadConfig } from './lib/config';
import { DeliveryRouter, PhaseRecorder } from './lib/recorder';
import { buildRows, formatTable, PhaseRun, SystemRun } from './lib/report';
import { finish, log, reportHeader, resultsPath, runMain, startRun } from './lib/run';
import { RunningSystem, snapshot, usageBetween } from './lib/system';
import { drain, fixedRatePhase, maxThroughputPhase, settle } from './lib/workload';
import { startSocketIo } from './systems/socketio';
import { startBareUws } from './systems/uws';

const starters: Record<SystemKey, (cfg: BenchConfig, router: DeliveryRouter) => Promise<RunningSystem>> = {
  socketio: startSocketIo,
  // Loaded lazily so that a stack that does not build or start fails only its own column.
  ours: async (cfg, router) => (await import('./systems/ours.js')).startOurs(cfg, router),
  uws: startBareUws,
};

async function runPhase(
  name: 'max' | 'rate',
  sys: RunningSystem,
  router: DeliveryRouter,
  cfg: BenchConfig,
  gStart: number,
  isSender: Uint8Array,
): Promise<PhaseRun> {
  const rec = new PhaseRecorder(name, gStart, cfg.clients, isSender);
  router.add(rec);
  const senders = sys.clients.slice(0, cfg.senders);
  // CPU is sampled over the measured window, which starts after the warm-up.
  let before = snapshot(sys);
  const atWindow = setTimeout(() => (before = snapshot(sys)), cfg.warmupSeconds * 1000);
  if (name === 'max') await maxThroughputPhase(senders, rec, cfg);
  else await fixedRatePhase(senders, rec, cfg);
  clearTimeout(atWindow);
  const after = snapshot(sys);
  const drained = await drain(rec, cfg, cfg.clients);
  const result = rec.result();
  log(
    `${sys.label} ${name}: ${result.acksPerSecond} acks/s, ${result.deliveriesPerSecond} deliveries/s, ` +
      `ack p99 ${result.ackLatency.p99Ms} ms, deliver p99 ${result.deliverLatency.p99Ms} ms, ` +
      `lost ${drained.loss.lost}, dup ${result.duplicates}, drain ${drained.ended}`,
  );
  return { result, drain: drained, usage: usageBetween(before, after) };
}

async function runSystem(key: SystemKey, cfg: BenchConfig): Promise<SystemRun> {
  const router = new DeliveryRouter(cfg.clients);
  log(`${key}: starting`);
  const sys = await starters[key](cfg, router);
  try {
    log(`${sys.label}: ${sys.clients.length} clients connected and joined in ${sys.setup.seconds} s`);
    await settle();
    const isSender = new Uint8Array(cfg.clients);
    isSender.fill(1, 0, cfg.senders);
    const max = await runPhase('max', sys, router, cfg, 0, isSender);
    const rate = await runPhase('rate', sys, router, cfg, max.result.sends, isSender);
    const trouble = { closes: 0, closeCodes: {} as Record<string, number>, errorEvents: {} as Record<string, number>, badFrames: 0 };
    for (const c of sys.clients) {
      trouble.closes += c.trouble.closes;
      trouble.badFrames += c.trouble.badFrames;
      for (const [k, v] of Object.entries(c.trouble.closeCodes)) trouble.closeCodes[k] = (trouble.closeCodes[k] ?? 0) + v;
      for (const [k, v] of Object.entries(c.trouble.errorEvents)) trouble.errorEvents[k] = (trouble.errorEvents[k] ?? 0) + v;
    }
    return {
      key,
      label: sys.label,
      notes: sys.notes,
      setup: sys.setup,
      max,
      rate,
      clientTrouble: trouble,
      strayDeliveries: router.strayDeliveries,
      serverLogs: sys.logs?.(),
    };
  } finally {
    await sys.stop();
  }
}

async function main(): Promise<void> {
  const { cfg, started, t0 } = startRun(loadConfig);
  log(
    `e2e bench: ${cfg.systems.join(', ')}; ${cfg.clients} members, ${cfg.senders} senders, ${cfg.textBytes} B, ` +
      `window ${cfg.window}, ${cfg.seconds} s per phase, rate ${cfg.rate}/s, parse ${cfg.parse}`,
  );
  const runs: Record<string, SystemRun | undefined> = {};
  const failures: Record<string, string> = {};
  for (const key of cfg.systems) {
    try {
      runs[key] = await runSystem(key, cfg);
    } catch (err) {
      failures[key] = (err as Error).stack ?? String(err);
      log(`${key}: FAILED: ${(err as Error).message}`);
    }
  }

  const rows = buildRows(runs);
  const table = formatTable(rows, runs.uws !== undefined);
  const out = resultsPath(cfg.out, 'e2e', started);
  const report = {
    ...reportHeader('e2e', started, t0),
    config: cfg,
    systems: runs,
    failures,
    table: rows,
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log('\n' + table + '\n');
  log(`wrote ${out}`);
  await finish(failures);
}

runMain(main);
