/** A system under test, started and with its room members connected and joined. */
import type { BenchClient } from './bench-client';
import type { E2eSystemKey } from './config';
import { performance } from 'node:perf_hooks';
import { CORES, cpuSeconds, machineTicks, rssKb } from './proc-stats';

export interface ServerProc {
  name: string;
  /** 'server': the processes clients connect to (gateways); 'backend': everything else the system
   *  runs (its CPU is the system's); 'outside': measured and shown, not the system's (another
   *  database's backends on a shared PostgreSQL cluster). */
  role: 'server' | 'backend' | 'outside';
  pid: number;
  /** Comes and goes during a run (a pooled database backend): found anew at every sample
   *  (PhaseCpu, every 200 ms), its CPU summed under `group`; one that appeared within a phase
   *  counts from zero, one that exited counts up to its last sample. */
  group?: string;
  /** Reads its cumulative CPU seconds some other way than utime + stime of `pid` (e.g. the
   *  CPU of a process's exited children). */
  read?(): number | null;
}

/**
 * A second account of part of a system's CPU, read as one cumulative figure (ours: the whole
 * PostgreSQL cluster, exited backends included), that replaces the `replaces` groups in an
 * alternative servers' total.
 */
export interface CpuAggregate {
  name: string;
  replaces: string[];
  /** Cumulative CPU seconds so far; null when unreadable. */
  read(): number | null;
}

export interface SetupReport {
  seconds: number;
  /** (RSS after all sockets said hello − RSS before) / sockets, over the servers; rough with so few sockets. */
  rssPerConnectionKb: number | null;
  serverRssBeforeKb: Record<string, number | null>;
  serverRssConnectedKb: Record<string, number | null>;
  /** Connection attempts that failed before hello (each retried, up to 3 tries), by reason. */
  connectFailures: Record<string, number>;
}

export function countFailures(lists: readonly string[][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const list of lists) for (const why of list) out[why] = (out[why] ?? 0) + 1;
  return out;
}

/** The setup report once the clients are connected: RSS per connection over the servers. */
export function setupReport(
  t0: number,
  procs: ServerProc[],
  before: Record<string, number | null>,
  connected: Record<string, number | null>,
  sockets: number,
  connectFailures: Record<string, number>,
): SetupReport {
  return {
    seconds: Math.round(performance.now() - t0) / 1000,
    rssPerConnectionKb: rssPerConnection(procs, before, connected, sockets),
    serverRssBeforeKb: before,
    serverRssConnectedKb: connected,
    connectFailures,
  };
}

export interface RunningSystem {
  key: E2eSystemKey;
  label: string;
  clients: BenchClient[];
  procs: ServerProc[];
  /** Processes found anew at each sample (see ServerProc.group). */
  transientProcs?(): ServerProc[];
  /** Alternative accounts of part of the CPU (see CpuAggregate). */
  cpuAggregates?: CpuAggregate[];
  setup: SetupReport;
  notes: string[];
  /** Tail of each server process's own log, when the system keeps one (ours: devstack). */
  logs?(): Record<string, string>;
  stop(): Promise<void>;
}

export function rssOf(procs: ServerProc[]): Record<string, number | null> {
  return Object.fromEntries(procs.map((p) => [p.name, rssKb(p.pid)]));
}

export function rssPerConnection(
  procs: ServerProc[],
  before: Record<string, number | null>,
  after: Record<string, number | null>,
  sockets: number,
): number | null {
  let delta = 0;
  for (const p of procs) {
    if (p.role !== 'server') continue;
    const a = after[p.name];
    const b = before[p.name];
    if (a == null || b == null) return null;
    delta += a - b;
  }
  return Math.round((delta / sockets) * 100) / 100;
}

export interface ProcSnapshot {
  at: number;
  procs: ServerProc[];
  cpu: Record<string, number | null>;
  rss: Record<string, number | null>;
  aggregates: Record<string, number | null>;
  selfCpu: NodeJS.CpuUsage;
  machine: { busy: number; total: number } | null;
}

export function snapshot(sys: Pick<RunningSystem, 'procs' | 'transientProcs' | 'cpuAggregates'>): ProcSnapshot {
  const fixed = sys.procs;
  const transient = sys.transientProcs?.() ?? [];
  return {
    at: performance.now(),
    procs: [...fixed, ...transient],
    cpu: Object.fromEntries([...fixed, ...transient].map((p) => [p.group ? pidKey(p.pid) : p.name, p.read ? p.read() : cpuSeconds(p.pid)])),
    rss: rssOf(fixed),
    aggregates: Object.fromEntries((sys.cpuAggregates ?? []).map((a) => [a.name, a.read()])),
    selfCpu: process.cpuUsage(),
    machine: machineTicks(),
  };
}

const pidKey = (pid: number) => `pid:${pid}`;

/**
 * CPU of a system over one window: a snapshot at `begin` (called again to restart the window,
 * e.g. after a warm-up), the transient processes sampled every `intervalMs` in between (a
 * backend that exits keeps its last sample), a snapshot at `end`.
 */
export class PhaseCpu {
  private a: ProcSnapshot | null = null;
  /** Transient processes seen since `begin`: the CPU at their first sight in the window (0 when
   *  born after `begin`) and at their latest. */
  private seen = new Map<number, { proc: ServerProc; first: number; latest: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sys: Pick<RunningSystem, 'procs' | 'transientProcs' | 'cpuAggregates'>,
    private readonly intervalMs = Number(process.env.BENCH_CPU_SAMPLE_MS) || 200,
  ) {}

  begin(): void {
    this.a = snapshot(this.sys);
    this.seen.clear();
    for (const p of this.a.procs) {
      const c = this.a.cpu[pidKey(p.pid)];
      if (p.group && c != null) this.seen.set(p.pid, { proc: p, first: c, latest: c });
    }
    if (this.sys.transientProcs && !this.timer) {
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
  }

  private sample(procs = this.sys.transientProcs?.() ?? [], cpu?: Record<string, number | null>): void {
    for (const p of procs) {
      if (!p.group) continue;
      const c = cpu ? cpu[pidKey(p.pid)] : cpuSeconds(p.pid);
      if (c == null) continue;
      const s = this.seen.get(p.pid);
      if (s && s.proc.group === p.group) s.latest = Math.max(s.latest, c);
      else this.seen.set(p.pid, { proc: p, first: 0, latest: c });
    }
  }

  end(): ProcUsage {
    clearInterval(this.timer);
    this.timer = undefined;
    const b = snapshot(this.sys);
    this.sample(b.procs, b.cpu);
    const groups: Record<string, { seconds: number; role: ServerProc['role']; processes: number }> = {};
    for (const { proc, first, latest } of this.seen.values()) {
      const g = (groups[proc.group!] ??= { seconds: 0, role: proc.role, processes: 0 });
      g.seconds += latest - first;
      g.processes++;
    }
    return usageBetween(this.a ?? b, b, groups, this.sys.cpuAggregates ?? []);
  }
}

export interface ProcUsage {
  /** Wall time between the two snapshots, s. */
  wallSeconds: number;
  /** User + system CPU seconds over the window, per process or group (name → s). */
  cpuSeconds: Record<string, number | null>;
  /** Role of each entry of cpuSeconds; 'outside' entries are not in the totals. */
  roles: Record<string, ServerProc['role']>;
  /** How many processes each group summed (transient ones seen in the window). */
  groupProcesses: Record<string, number>;
  /** % of one core over the phase, per process. */
  cpuPercent: Record<string, number | null>;
  serverCpuPercentTotal: number;
  /** CPU seconds of every process of the system (servers and backends, not 'outside'). */
  serverCpuSeconds: number;
  /** Alternative totals: serverCpuSeconds with the aggregate in place of the groups it replaces. */
  altServerCpuSeconds: Record<string, { aggregateSeconds: number | null; replaces: string[]; totalSeconds: number | null }>;
  clientCpuPercent: number;
  /** CPU seconds of this process: all the clients (user + system, process.cpuUsage). */
  clientCpuSeconds: number;
  /** Busy CPU of the whole machine, in % of one core (CORES × 100 = all busy). */
  machineCpuPercent: number | null;
  /** machine − client − the system's processes: other work on the box that disturbed the phase. */
  otherCpuPercent: number | null;
  /** VmRSS at the end of the phase, KiB. */
  rssKb: Record<string, number | null>;
  maxServerRssKb: number | null;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

export function usageBetween(
  a: ProcSnapshot,
  b: ProcSnapshot,
  groups: Record<string, { seconds: number; role: ServerProc['role']; processes: number }> = {},
  aggregates: CpuAggregate[] = [],
): ProcUsage {
  const wall = (b.at - a.at) / 1000;
  const pct = (sec: number | null) => (sec == null || wall <= 0 ? null : Math.round((sec / wall) * 1000) / 10);
  const cpuSecondsOut: Record<string, number | null> = {};
  const roles: Record<string, ServerProc['role']> = {};
  const groupProcesses: Record<string, number> = {};
  let total = 0;
  for (const p of b.procs) {
    if (p.group) continue;
    const y = b.cpu[p.name];
    const x = a.cpu[p.name];
    const sec = x == null || y == null ? null : y - x;
    cpuSecondsOut[p.name] = sec == null ? null : r3(sec);
    roles[p.name] = p.role;
    if (p.role !== 'outside') total += sec ?? 0;
  }
  for (const [g, v] of Object.entries(groups)) {
    cpuSecondsOut[g] = r3(v.seconds);
    roles[g] = v.role;
    groupProcesses[g] = v.processes;
    if (v.role !== 'outside') total += v.seconds;
  }
  const altServerCpuSeconds: ProcUsage['altServerCpuSeconds'] = {};
  for (const [name, y] of Object.entries(b.aggregates)) {
    const x = a.aggregates[name];
    const agg = x == null || y == null ? null : y - x;
    const replaces = aggregates.find((c) => c.name === name)?.replaces ?? [];
    const replaced = replaces.reduce((s, g) => s + (cpuSecondsOut[g] != null && roles[g] !== 'outside' ? cpuSecondsOut[g]! : 0), 0);
    altServerCpuSeconds[name] = {
      aggregateSeconds: agg == null ? null : r3(agg),
      replaces,
      totalSeconds: agg == null ? null : r3(total - replaced + agg),
    };
  }
  const cpuPercent = Object.fromEntries(Object.entries(cpuSecondsOut).map(([k, v]) => [k, pct(v)]));
  const self = (b.selfCpu.user + b.selfCpu.system - a.selfCpu.user - a.selfCpu.system) / 1e6;
  const serverRss = b.procs.filter((p) => p.role === 'server').map((p) => b.rss[p.name]);
  const clientCpuPercent = pct(self) ?? 0;
  const serverPct = pct(total) ?? 0;
  const machine =
    a.machine && b.machine && b.machine.total > a.machine.total
      ? Math.round(((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * CORES * 1000) / 10
      : null;
  return {
    wallSeconds: r3(wall),
    cpuSeconds: cpuSecondsOut,
    roles,
    groupProcesses,
    cpuPercent,
    serverCpuPercentTotal: serverPct,
    serverCpuSeconds: r3(total),
    altServerCpuSeconds,
    clientCpuPercent,
    clientCpuSeconds: r3(self),
    machineCpuPercent: machine,
    otherCpuPercent: machine === null ? null : Math.max(0, Math.round((machine - clientCpuPercent - serverPct) * 10) / 10),
    rssKb: b.rss,
    maxServerRssKb: serverRss.some((r) => r == null) ? null : Math.max(...(serverRss as number[])),
  };
}

/** CPU milliseconds per 1,000 deliveries over one phase window. */
export interface CpuPerDeliveries {
  /** Deliveries per second to all members (senders get their own messages too) in the phase's
   *  measured window, the divisor. */
  deliveriesPerSecond: number;
  /** Every process of the system (servers and backends), user + sys. */
  servers: number | null;
  /** Alternative servers' totals (ours: with the whole PostgreSQL cluster), by aggregate. */
  serversAlt: Record<string, number | null>;
  /** The bench process (all clients). */
  client: number | null;
  serversPlusClient: number | null;
  /** Per process or group, 'outside' ones included (not in `servers`). */
  byProcess: Record<string, number | null>;
}

export function cpuPerDeliveries(u: ProcUsage, deliveriesPerSecond: number): CpuPerDeliveries {
  // CPU rate over the CPU window / delivery rate over the recorder's window: both windows are
  // the measured seconds of the phase, taken a few ms apart.
  const per = (sec: number | null) =>
    sec == null || u.wallSeconds <= 0 || deliveriesPerSecond <= 0 ? null : Math.round(((sec / u.wallSeconds / deliveriesPerSecond) * 1e6) * 100) / 100;
  return {
    deliveriesPerSecond,
    servers: per(u.serverCpuSeconds),
    serversAlt: Object.fromEntries(Object.entries(u.altServerCpuSeconds).map(([k, v]) => [k, per(v.totalSeconds)])),
    client: per(u.clientCpuSeconds),
    serversPlusClient: per(u.serverCpuSeconds + u.clientCpuSeconds),
    byProcess: Object.fromEntries(Object.entries(u.cpuSeconds).map(([k, v]) => [k, per(v)])),
  };
}
