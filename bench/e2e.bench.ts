/**
 * End-to-end bench (DESIGN.md "Targets"): the same chat workload, in one run, against
 *  - socket.io+adapter: Socket.IO 4 + @socket.io/redis-streams-adapter on two processes (baseline),
 *  - ours: 2 gateways + 2 messages + presence + api started by @chat/devstack, Redis and PostgreSQL,
 *  - ours gRPC: the same with 2 gRPC gateways (apps/grpc-gateway) instead, members on ChatStreams,
 *  - bare uWS: one uWebSockets.js process with topics (ceiling).
 * Workload: one room, BENCH_CLIENTS (200) members split over the servers, BENCH_SENDERS (10)
 * sending BENCH_TEXT_BYTES (300) byte messages; phase "max" keeps BENCH_WINDOW (16) unacked sends
 * per sender for BENCH_SECONDS (10); phase "rate" sends BENCH_RATE (1000)/s for BENCH_SECONDS;
 * each phase is preceded by BENCH_WARMUP_SECONDS (1) of the same load, not measured.
 * Receivers JSON-decode every delivery (BENCH_PARSE=full). Per phase, every server process's
 * CPU (user + sys, /proc/<pid>/stat) is reported per 1,000 deliveries, with a per-process table.
 * See bench/README.md for every knob and what each row of the table means.
 * Writes bench/results/e2e-<date>.json and prints the table. Exits non-zero only when the
 * harness fails (a system could not be started or driven); a system that loses messages or
 * misses a target is a result, not a failure.
 *
 *   npm run bench:e2e
 *   BENCH_SYSTEMS=socketio,uws BENCH_SECONDS=5 npm run bench:e2e
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BenchConfig, E2eSystemKey, loadConfig } from './lib/config';
import { DeliveryRouter, PhaseRecorder } from './lib/recorder';
import { buildRows, formatCpuBreakdown, formatTable, PhaseRun, SystemRun } from './lib/report';
import { finish, log, reportHeader, resultsPath, runMain, startRun } from './lib/run';
import { CLK_TCK } from './lib/proc-stats';
import { cpuPerDeliveries, PhaseCpu, RunningSystem } from './lib/system';
import { drain, fixedRatePhase, maxThroughputPhase, settle } from './lib/workload';
import { startSocketIo } from './systems/socketio';
import { startBareUws } from './systems/uws';

const starters: Record<E2eSystemKey, (cfg: BenchConfig, router: DeliveryRouter) => Promise<RunningSystem>> = {
  socketio: startSocketIo,
  // Loaded lazily so that a stack that does not build or start fails only its own column.
  ours: async (cfg, router) => (await import('./systems/ours.js')).startOurs(cfg, router),
  grpc: async (cfg, router) => (await import('./systems/grpc.js')).startGrpc(cfg, router),
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
  // CPU is read over the measured window, which starts after the warm-up (the recorder's
  // t0..t1, within a few ms): /proc/<pid>/stat at both ends, transient processes sampled between.
  const cpu = new PhaseCpu(sys);
  cpu.begin();
  // Both phases set rec.t0 before their first await.
  const phase = name === 'max' ? maxThroughputPhase(senders, rec, cfg) : fixedRatePhase(senders, rec, cfg);
  const atWindow = setTimeout(() => cpu.begin(), Math.max(0, rec.t0 - performance.now()));
  await phase;
  clearTimeout(atWindow);
  const usage = cpu.end();
  const drained = await drain(rec, cfg, cfg.clients);
  const result = rec.result();
  const perK = cpuPerDeliveries(usage, result.deliveriesPerSecondAllMembers);
  const alt = Object.entries(perK.serversAlt).map(([k, v]) => `, ${v} with ${k}`).join('');
  log(
    `${sys.label} ${name}: ${result.acksPerSecond} acks/s, ${result.deliveriesPerSecond} deliveries/s, ` +
      `ack p99 ${result.ackLatency.p99Ms} ms, deliver p99 ${result.deliverLatency.p99Ms} ms, ` +
      `lost ${drained.loss.lost}, dup ${result.duplicates}, drain ${drained.ended}; ` +
      `server CPU ${perK.servers} ms/1k deliveries${alt}, client ${perK.client}`,
  );
  return { result, drain: drained, usage, cpuPerK: perK };
}

async function runSystem(key: E2eSystemKey, cfg: BenchConfig): Promise<SystemRun> {
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
  const table = formatTable(rows, runs.uws !== undefined, runs.grpc !== undefined);
  const out = resultsPath(cfg.out, 'e2e', started);
  const report = {
    ...reportHeader('e2e', started, t0),
    config: cfg,
    systems: runs,
    failures,
    table: rows,
    cpuMeasure:
      'user + sys CPU (utime + stime of /proc/<pid>/stat, all threads, CLK_TCK ' + CLK_TCK + ') of every process of each system over ' +
      "each phase's measured window, divided by that window's deliveries to all members, in ms per 1,000 deliveries. " +
      'ours: gateways, messages, presence, api, its redis-server, and PostgreSQL = backends of the bench database + the ' +
      "cluster's background processes (sampled every 200 ms; a backend that exits counts up to its last sample); second " +
      "figure 'postgres-cluster': the whole cluster (postmaster + live children + exited children via the postmaster's " +
      'cutime/cstime), other databases included. socket.io: both servers + its redis-server. uws: its one process. ' +
      'client: this process (all members), process.cpuUsage().',
    cpuPerThousandDeliveries: Object.fromEntries(
      Object.entries(runs).map(([k, r]) => [
        k,
        r && {
          max: { ...r.max.cpuPerK, cpuSeconds: r.max.usage.cpuSeconds, wallSeconds: r.max.usage.wallSeconds },
          rate: { ...r.rate.cpuPerK, cpuSeconds: r.rate.usage.cpuSeconds, wallSeconds: r.rate.usage.wallSeconds },
        },
      ]),
    ),
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const breakdown = formatCpuBreakdown(runs);
  console.log('\n' + table + '\n');
  console.log('CPU by process (user + sys from /proc/<pid>/stat; ms per 1,000 deliveries to all members):\n' + breakdown + '\n');
  log(`wrote ${out}`);
  await finish(failures);
}

runMain(main);
