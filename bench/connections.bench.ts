/**
 * Idle-connection bench (DESIGN.md "Targets": idle authenticated sockets, RSS per connection
 * ≤ 2 KB; 50,000 sockets on one gateway). For each system, ONE server process, in one run:
 *  - socket.io+adapter: socketio-server.ts (Socket.IO 4 + redis-streams adapter), socket.io-client over websocket;
 *  - ours: one gateway of the real stack (startStack: api, messages, presence, 1 gateway), `ws`
 *    sockets with `?token=<guest JWT>` that wait for `hello`;
 *  - bare uWS: uws-server.ts.
 * N sockets (BENCH_CONNECTIONS, 50,000) from this process, spread over source addresses
 * 127.0.0.2… (BENCH_SOCKETS_PER_ADDRESS each), opened BENCH_CONNECT_CONCURRENCY (200) at a time
 * and capped by the open-files limit of this process and of the server; then idle. The server's
 * VmRSS is read settled (stable within tolerance over 2 s, bounded) before and after:
 * (after − before) / sockets open = KB per connection. A sample of sockets does a round trip
 * at the end. Writes bench/results/connections-<date>.json and prints the table.
 *
 *   npm run bench:connections
 *   BENCH_CONNECTIONS=5000 BENCH_SYSTEMS=ours npm run bench:connections
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { onCleanup } from './lib/cleanup';
import { num, SystemKey } from './lib/config';
import { CloseTally, IdleSocket, newCloseTally, openMany, OpenReport, SourceAddresses } from './lib/idle-sockets';
import { sleep } from './lib/net-util';
import { ephemeralPortRange, hasCapability, openFdCount, openFilesLimit, rssKb } from './lib/proc-stats';
import { compareRow, formatTable, Row } from './lib/report';
import { finish, log, reportHeader, resultsPath, runMain, startRun } from './lib/run';
import { SettledRss, waitStableRss } from './lib/rss-settle';
import { rssOf } from './lib/system';
import { IdleTarget, idleStarters, PrepareReport } from './systems/idle-targets';

const CAP_SYS_RESOURCE = 24;
const TARGET_SOCKETS = 50_000;
const TARGET_KB = 2;

interface ConnConfig {
  systems: SystemKey[];
  /** Sockets per system (BENCH_CONNECTIONS). */
  connections: number;
  /** Sockets being opened at once (BENCH_CONNECT_CONCURRENCY). */
  concurrency: number;
  /** Sockets per source address 127.0.0.x (BENCH_SOCKETS_PER_ADDRESS); ~28k ephemeral ports each. */
  perAddress: number;
  /** Time budget for opening one system's sockets; past it, what is open is measured (BENCH_CONNECT_SECONDS). */
  connectSeconds: number;
  /** One socket's handshake + hello deadline (BENCH_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** 'distinct': a guest user per socket (default); a number: that many users, tokens shared round-robin (BENCH_USERS). */
  users: 'distinct' | number;
  /** Time budget for creating guest tokens (BENCH_TOKEN_SECONDS); past it, sockets share the tokens made. */
  tokenSeconds: number;
  tokenConcurrency: number;
  /** Bound of the settle wait after connecting (BENCH_SETTLE_SECONDS). */
  settleSeconds: number;
  /**
   * Seconds the sockets then stay idle before a second RSS reading (BENCH_IDLE_SECONDS, 0 = none):
   * V8 gives back the heap it grew while the sockets connected (young generation, old-space
   * headroom) only when its memory reducer runs, tens of seconds after the burst.
   */
  idleSeconds: number;
  /** Sockets that do a round trip at the end (BENCH_ALIVE_SAMPLE). */
  aliveSample: number;
  /** Cap N at the open-files limit of this process and of the server (BENCH_FD_CAP=0: try anyway). */
  fdCap: boolean;
  /** File descriptors left for everything else in each process. */
  fdReserve: number;
  databaseAdminUrl: string;
  out?: string;
  timeoutSeconds: number;
}

function loadConnConfig(): ConnConfig {
  const systems = (process.env.BENCH_SYSTEMS ?? 'socketio,ours,uws')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as SystemKey[];
  for (const s of systems) if (!['socketio', 'ours', 'uws'].includes(s)) throw new Error(`BENCH_SYSTEMS: unknown system "${s}"`);
  const usersRaw = (process.env.BENCH_USERS ?? 'distinct').trim();
  const users = usersRaw === 'distinct' || usersRaw === '' ? 'distinct' : Math.floor(num('BENCH_USERS', 1, 1));
  return {
    systems,
    connections: Math.floor(num('BENCH_CONNECTIONS', TARGET_SOCKETS, 1)),
    concurrency: Math.floor(num('BENCH_CONNECT_CONCURRENCY', 200, 1)),
    perAddress: Math.floor(num('BENCH_SOCKETS_PER_ADDRESS', 10_000, 1)),
    connectSeconds: num('BENCH_CONNECT_SECONDS', 75, 1),
    connectTimeoutMs: Math.floor(num('BENCH_CONNECT_TIMEOUT_MS', 15_000, 100)),
    users,
    tokenSeconds: num('BENCH_TOKEN_SECONDS', 60, 1),
    tokenConcurrency: Math.floor(num('BENCH_TOKEN_CONCURRENCY', 32, 1)),
    settleSeconds: num('BENCH_SETTLE_SECONDS', 20, 2),
    idleSeconds: num('BENCH_IDLE_SECONDS', 0, 0),
    aliveSample: Math.floor(num('BENCH_ALIVE_SAMPLE', 20, 1)),
    fdCap: process.env.BENCH_FD_CAP !== '0',
    fdReserve: Math.floor(num('BENCH_FD_RESERVE', 128, 0)),
    databaseAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    out: process.env.BENCH_OUT || undefined,
    // The whole run stays under 6 minutes (plus the idle wait per system); the watchdog kills everything past this.
    timeoutSeconds: num('BENCH_TIMEOUT_SECONDS', 345 + systems.length * num('BENCH_IDLE_SECONDS', 0, 0), 10),
  };
}

const mb = (kb: number | null | undefined) => (kb == null ? null : Math.round(kb / 102.4) / 10);
const round2 = (v: number) => Math.round(v * 100) / 100;

interface Limits {
  self: { soft: number; hard: number } | null;
  server: { soft: number; hard: number } | null;
  selfOpenFds: number | null;
  serverOpenFds: number | null;
  capSysResource: boolean | null;
}

interface ConnRun {
  key: SystemKey;
  label: string;
  notes: string[];
  server: { name: string; pid: number };
  limits: Limits;
  requested: number;
  planned: number;
  /** Why planned < requested, in words. */
  cappedBecause: string | null;
  prepare: PrepareReport;
  open: OpenReport;
  rssBefore: SettledRss;
  rssAfter: SettledRss;
  rssPeakWhileConnectingKb: number | null;
  /** Sockets open on the client side right after the settled reading: the divisor. */
  socketsAtMeasure: number;
  rssDeltaKb: number | null;
  rssPerConnectionKb: number | null;
  /** BENCH_IDLE_SECONDS later, still idle: RSS, (it − before) / sockets, and the readings every 5 s. */
  idle: { seconds: number; rssKb: number | null; rssPerConnectionKb: number | null; seriesKb: (number | null)[] } | null;
  alive: { sampled: number; answered: number; openAtEnd: number; checkedAtSecondsIdle: number };
  unexpectedCloses: CloseTally;
  serverViewBefore: Record<string, number | string | null>;
  serverViewAfter: Record<string, number | string | null>;
  backendRssBeforeKb: Record<string, number | null>;
  backendRssAfterKb: Record<string, number | null>;
  serverOpenFdsAfter: number | null;
  /** Sockets closed right after opening to give this process back descriptors (EMFILE), before the reading. */
  shedForFds: number;
  clientProcess: { rssBeforeKb: number | null; rssAfterKb: number | null; heapUsedAfterKb: number };
  seconds: number;
  serverLogs?: Record<string, string>;
}

function planSockets(cfg: ConnConfig, t: IdleTarget): { limits: Limits; planned: number; cappedBecause: string | null } {
  const limits: Limits = {
    self: openFilesLimit('self'),
    server: openFilesLimit(t.server.pid),
    selfOpenFds: openFdCount('self'),
    serverOpenFds: openFdCount(t.server.pid),
    capSysResource: hasCapability(CAP_SYS_RESOURCE),
  };
  if (!cfg.fdCap || !limits.self || !limits.server) return { limits, planned: cfg.connections, cappedBecause: null };
  const selfRoom = limits.self.soft - (limits.selfOpenFds ?? 0) - cfg.fdReserve;
  const serverRoom = limits.server.soft - (limits.serverOpenFds ?? 0) - cfg.fdReserve;
  const room = Math.max(0, Math.min(selfRoom, serverRoom));
  if (room >= cfg.connections) return { limits, planned: cfg.connections, cappedBecause: null };
  const raisable = limits.capSysResource
    ? 'this process has CAP_SYS_RESOURCE: raise the hard limit (ulimit -Hn) before the run'
    : `the hard limit cannot be raised from here (no CAP_SYS_RESOURCE in this process's CapEff; Node cannot setrlimit either)`;
  const cappedBecause =
    `every socket holds one file descriptor in this client process and one in the server process; ` +
    `RLIMIT_NOFILE is ${limits.self.soft} soft / ${limits.self.hard} hard here and ${limits.server.soft} / ${limits.server.hard} in ${t.server.name} (inherited); ` +
    `${raisable}; room: client ${selfRoom}, server ${serverRoom} (limit − fds open − ${cfg.fdReserve} reserve) → ${room} sockets`;
  return { limits, planned: room, cappedBecause };
}

/** How many sockets to close after opening ran into this process's descriptor limit, 0 if it did not. */
function fdShortage(cfg: ConnConfig, open: OpenReport): number {
  if (!open.failures.EMFILE && !open.failures.ENFILE) return 0;
  const limit = openFilesLimit('self')?.soft;
  const now = openFdCount('self');
  if (limit === undefined || now === null) return cfg.fdReserve;
  return Math.max(0, now - (limit - cfg.fdReserve));
}

/** Closes every socket and waits (bounded) until this process's descriptors are back. */
async function closeAll(sockets: IdleSocket[], fdsBefore: number | null): Promise<void> {
  for (const s of sockets) s.close();
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const n = openFdCount('self');
    if (n === null || fdsBefore === null || n <= fdsBefore + 64) break;
    await sleep(100);
  }
}

/**
 * `deadline` (Date.now() ms) is this system's share of the run: tokens and opening stop early
 * enough that the settle, the alive check and the shutdown still fit.
 */
async function runSystem(key: SystemKey, cfg: ConnConfig, addrs: SourceAddresses, deadline: number): Promise<ConnRun> {
  const t0 = performance.now();
  const tail = (cfg.settleSeconds + cfg.idleSeconds + 15) * 1000;
  log(`${key}: starting`);
  const t = await idleStarters[key]({
    databaseAdminUrl: cfg.databaseAdminUrl,
    connectTimeoutMs: cfg.connectTimeoutMs,
    users: cfg.users,
    tokenSeconds: cfg.tokenSeconds,
    tokenConcurrency: cfg.tokenConcurrency,
    log,
  });
  let sockets: IdleSocket[] = [];
  const fdsAtStart = openFdCount('self');
  const unregister = onCleanup(`${key} sockets`, async () => sockets.forEach((s) => s.close()));
  try {
    const { limits, planned, cappedBecause } = planSockets(cfg, t);
    log(`${t.label}: server ${t.server.name} pid ${t.server.pid}; ${planned} sockets planned of ${cfg.connections}${cappedBecause ? ' (fd limit, see below)' : ''}`);
    const prepare = await t.prepare(planned, Date.now() + Math.max(5000, (deadline - tail - Date.now()) * 0.45));
    for (const n of prepare.notes) log(`${t.label}: ${n}`);

    const rssBefore = await waitStableRss(t.server.pid, { maxMs: 8000 });
    const serverViewBefore = await t.serverView();
    const backendRssBeforeKb = rssOf(t.backends);
    const clientRssBeforeKb = rssKb(process.pid);
    log(`${t.label}: server RSS before ${mb(rssBefore.rssKb)} MB (${rssBefore.stable ? 'stable' : 'NOT stable'} after ${rssBefore.waitedMs} ms)`);

    let peak = rssBefore.rssKb ?? 0;
    const peakTimer = setInterval(() => (peak = Math.max(peak, rssKb(t.server.pid) ?? 0)), 250);
    const closes = newCloseTally();
    let opened: { sockets: IdleSocket[]; report: OpenReport };
    try {
      opened = await openMany(
        planned,
        {
          concurrency: cfg.concurrency,
          deadline: Math.min(Date.now() + cfg.connectSeconds * 1000, Math.max(Date.now() + 5000, deadline - tail)),
          attemptsPerSocket: 2,
          maxConsecutiveFailures: 50,
          maxFailures: Math.max(200, Math.ceil(planned * 0.02)),
          onProgress: (n, failed) => log(`${t.label}: ${n}/${planned} open, ${failed} failed attempts, server RSS ${mb(rssKb(t.server.pid))} MB`),
        },
        (i) => t.open(i, addrs.next(), closes),
      );
    } finally {
      clearInterval(peakTimer);
    }
    sockets = opened.sockets;
    const open = opened.report;
    // Out of descriptors here (only when BENCH_FD_CAP=0 or the estimate was off): this process
    // could not even read /proc; close the newest sockets to leave the reserve, measure the rest.
    const shed = fdShortage(cfg, open);
    if (shed > 0) {
      for (const s of sockets.splice(Math.max(0, sockets.length - shed))) s.close();
      await sleep(500);
      log(`${t.label}: out of file descriptors: closed the ${shed} newest sockets to leave ${cfg.fdReserve} fds for the measurement`);
    }
    log(
      `${t.label}: ${open.opened}/${planned} sockets open in ${open.seconds.toFixed(1)} s (${open.perSecond}/s), ` +
        `${open.attempts - open.opened} failed attempts${open.stoppedBecause ? `; stopped: ${open.stoppedBecause}` : ''}`,
    );
    if (Object.keys(open.failures).length) log(`${t.label}: failures ${JSON.stringify(open.failures)}`);
    const idleFrom = Date.now();

    const rssAfter = await waitStableRss(t.server.pid, { minWaitMs: 1000, maxMs: cfg.settleSeconds * 1000 });
    const socketsAtMeasure = sockets.filter((s) => s.isOpen()).length;
    const rssDeltaKb = rssAfter.rssKb != null && rssBefore.rssKb != null ? rssAfter.rssKb - rssBefore.rssKb : null;
    const rssPerConnectionKb = rssDeltaKb != null && socketsAtMeasure > 0 ? round2(rssDeltaKb / socketsAtMeasure) : null;
    log(
      `${t.label}: server RSS after ${mb(rssAfter.rssKb)} MB (${rssAfter.stable ? 'stable' : 'NOT stable'} after ${rssAfter.waitedMs} ms), ` +
        `${socketsAtMeasure} open → ${rssPerConnectionKb} KB per connection`,
    );

    let idle: ConnRun['idle'] = null;
    if (cfg.idleSeconds > 0) {
      const seriesKb: (number | null)[] = [];
      const until = Date.now() + cfg.idleSeconds * 1000;
      while (Date.now() < until) {
        await sleep(Math.min(5000, until - Date.now()));
        seriesKb.push(rssKb(t.server.pid));
      }
      const rss = seriesKb.at(-1) ?? null;
      const per = rss != null && rssBefore.rssKb != null && socketsAtMeasure > 0 ? round2((rss - rssBefore.rssKb) / socketsAtMeasure) : null;
      idle = { seconds: cfg.idleSeconds, rssKb: rss, rssPerConnectionKb: per, seriesKb };
      log(`${t.label}: server RSS after ${cfg.idleSeconds} s idle ${mb(rss)} MB → ${per} KB per connection (every 5 s: ${seriesKb.map(mb).join(' ')} MB)`);
    }

    // Alive: an application round trip on sockets spread over the whole set, all at once.
    const stride = Math.max(1, Math.floor(sockets.length / cfg.aliveSample));
    const sample = sockets.filter((_, i) => i % stride === 0).slice(0, cfg.aliveSample);
    const checkedAtSecondsIdle = Math.round((Date.now() - idleFrom) / 100) / 10;
    const answers = await Promise.all(sample.map((s) => s.roundTrip(5000)));
    const alive = { sampled: sample.length, answered: answers.filter(Boolean).length, openAtEnd: sockets.filter((s) => s.isOpen()).length, checkedAtSecondsIdle };
    log(`${t.label}: alive: ${alive.answered}/${alive.sampled} round trips answered; ${alive.openAtEnd} open; unexpected closes ${closes.count}`);
    const serverViewAfter = await t.serverView();
    if (Object.keys(serverViewAfter).length) log(`${t.label}: server says ${JSON.stringify(serverViewAfter)}`);
    const run: ConnRun = {
      key,
      label: t.label,
      notes: [...t.notes, ...prepare.notes, ...(cappedBecause ? [`N capped: ${cappedBecause}`] : [])],
      server: { name: t.server.name, pid: t.server.pid },
      limits,
      requested: cfg.connections,
      planned,
      cappedBecause,
      prepare,
      open,
      rssBefore,
      rssAfter,
      rssPeakWhileConnectingKb: peak || null,
      socketsAtMeasure,
      rssDeltaKb,
      rssPerConnectionKb,
      idle,
      alive,
      unexpectedCloses: closes,
      serverViewBefore,
      serverViewAfter,
      backendRssBeforeKb,
      backendRssAfterKb: rssOf(t.backends),
      shedForFds: shed,
      serverOpenFdsAfter: openFdCount(t.server.pid),
      clientProcess: {
        rssBeforeKb: clientRssBeforeKb,
        rssAfterKb: rssKb(process.pid),
        heapUsedAfterKb: Math.round(process.memoryUsage().heapUsed / 1024),
      },
      seconds: 0,
      serverLogs: t.logs?.(),
    };
    await closeAll(sockets, fdsAtStart);
    sockets = [];
    run.seconds = Math.round(performance.now() - t0) / 1000;
    return run;
  } finally {
    unregister();
    await closeAll(sockets, fdsAtStart);
    await t.stop();
  }
}

function buildRows(runs: Partial<Record<SystemKey, ConnRun>>): Row[] {
  const rows: Row[] = [];
  const add = (measure: string, pick: (r: ConnRun) => number | string | null, target = '', check?: (r: ConnRun) => boolean) => {
    rows.push(compareRow(runs, measure, pick, target, check));
  };
  add('RSS KB per idle connection', (r) => r.rssPerConnectionKb, `≤ ${TARGET_KB} KB`, (r) => r.rssPerConnectionKb != null && r.rssPerConnectionKb <= TARGET_KB);
  const idleSeconds = Object.values(runs).find((r) => r?.idle)?.idle?.seconds;
  if (idleSeconds !== undefined) {
    add(`RSS KB per idle connection, ${idleSeconds} s later (still idle)`, (r) => r.idle?.rssPerConnectionKb ?? null, `≤ ${TARGET_KB} KB`, (r) => r.idle?.rssPerConnectionKb != null && r.idle.rssPerConnectionKb <= TARGET_KB);
  }
  add('idle sockets measured (open at reading)', (r) => r.socketsAtMeasure, `${TARGET_SOCKETS.toLocaleString('en-US')} on one gateway`, (r) => r.socketsAtMeasure >= TARGET_SOCKETS);
  add('sockets requested → planned (fd limit)', (r) => `${r.requested} → ${r.planned}`);
  add('server RSS before, MB', (r) => mb(r.rssBefore.rssKb));
  add('server RSS after, idle + settled, MB', (r) => mb(r.rssAfter.rssKb));
  add('server RSS growth total, MB', (r) => mb(r.rssDeltaKb));
  add('server RSS peak while connecting, MB', (r) => mb(r.rssPeakWhileConnectingKb));
  add('RSS settled before / after (waited s)', (r) => `${r.rssBefore.stable ? 'yes' : 'NO'} ${Math.round(r.rssBefore.waitedMs / 100) / 10} / ${r.rssAfter.stable ? 'yes' : 'NO'} ${Math.round(r.rssAfter.waitedMs / 100) / 10}`, 'yes / yes');
  add('connect: sockets/s (hello / connect)', (r) => r.open.perSecond);
  add('connect: seconds for all', (r) => round2(r.open.seconds));
  add('connect attempts failed', (r) => r.open.attempts - r.open.opened, '0', (r) => r.open.attempts === r.open.opened);
  add('distinct users (tokens) behind the sockets', (r) => r.prepare.distinctUsers);
  add('unexpected closes while idle', (r) => r.unexpectedCloses.count, '0', (r) => r.unexpectedCloses.count === 0);
  add('alive at end: round trips answered', (r) => `${r.alive.answered}/${r.alive.sampled}`, 'all', (r) => r.alive.answered === r.alive.sampled && r.alive.sampled > 0);
  add('alive at end: sockets still open', (r) => r.alive.openAtEnd, '= measured', (r) => r.alive.openAtEnd === r.socketsAtMeasure);
  add('client process RSS with all sockets, MB', (r) => mb(r.clientProcess.rssAfterKb));
  return rows;
}

async function main(): Promise<void> {
  const { cfg, started, t0 } = startRun(loadConnConfig);
  const self = openFilesLimit('self');
  const ports = ephemeralPortRange();
  const capRes = hasCapability(CAP_SYS_RESOURCE);
  const environment = {
    openFilesLimit: self,
    capSysResource: capRes,
    ephemeralPorts: ports,
    socketsPerSourceAddress: cfg.perAddress,
    sourceAddresses: [] as string[],
  };
  log(
    `connections bench: ${cfg.systems.join(', ')}; ${cfg.connections} sockets each, ${cfg.concurrency} opening at a time, ` +
      `${cfg.perAddress} per source address from 127.0.0.2; users ${cfg.users}`,
  );
  log(
    `open files (RLIMIT_NOFILE, /proc/self/limits): soft ${self?.soft ?? '?'}, hard ${self?.hard ?? '?'}; CAP_SYS_RESOURCE: ${capRes ? 'yes' : 'no'}; ` +
      `ephemeral ports ${ports ? `${ports.low}–${ports.high} (${ports.count} per source address)` : '?'}`,
  );
  if (self && self.hard < cfg.connections + cfg.fdReserve) {
    log(`note: ${cfg.connections} sockets need ${cfg.connections} fds in this process and as many in the server; the hard limit is ${self.hard}${capRes ? '' : ' and cannot be raised here'}`);
  }

  const addrs = new SourceAddresses(cfg.perAddress);
  const runs: Partial<Record<SystemKey, ConnRun>> = {};
  const failures: Record<string, string> = {};
  const out = resultsPath(cfg.out, 'connections', started);
  const write = (rows: Row[]) => {
    environment.sourceAddresses = [...addrs.used];
    const report = {
      ...reportHeader('connections', started, t0),
      config: cfg,
      environment,
      systems: runs,
      failures,
      table: rows,
    };
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  };

  // Each system gets a share of what is left of the run (ours, with its guest tokens, more).
  const runDeadline = Date.now() + (cfg.timeoutSeconds - 15) * 1000;
  const weight = (k: SystemKey) => (k === 'ours' ? 1.6 : 1);
  for (const [i, key] of cfg.systems.entries()) {
    const left = cfg.systems.slice(i).reduce((a, k) => a + weight(k), 0);
    const deadline = Date.now() + ((runDeadline - Date.now()) * weight(key)) / left;
    try {
      runs[key] = await runSystem(key, cfg, addrs, deadline);
    } catch (err) {
      failures[key] = (err as Error).stack ?? String(err);
      log(`${key}: FAILED: ${(err as Error).message}`);
    }
    // Partial results survive a later failure or the watchdog.
    write(buildRows(runs));
  }

  const rows = buildRows(runs);
  write(rows);
  console.log('\n' + formatTable(rows, runs.uws !== undefined) + '\n');
  const capped = Object.values(runs).find((r) => r?.cappedBecause);
  if (capped) log(`N below ${cfg.connections}: ${capped.cappedBecause}`);
  for (const r of Object.values(runs)) if (r?.open.stoppedBecause) log(`${r.label}: opening stopped early: ${r.open.stoppedBecause}`);
  log(`source addresses used: ${[...addrs.used].join(' ')}`);
  log(`wrote ${out}`);
  await finish(failures);
}

runMain(main);
