/** A system under test, started and with its room members connected and joined. */
import type { BenchClient } from './bench-client';
import type { SystemKey } from './config';
import { performance } from 'node:perf_hooks';
import { CORES, cpuSeconds, machineTicks, rssKb } from './proc-stats';

export interface ServerProc {
  name: string;
  /** 'server': the processes clients connect to (gateways); 'backend': everything else. */
  role: 'server' | 'backend';
  pid: number;
  /** Comes and goes during a run (a pooled database backend): found anew at every snapshot,
   *  its CPU summed under `group`; one that appeared within a phase counts from zero. */
  group?: string;
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
  key: SystemKey;
  label: string;
  clients: BenchClient[];
  procs: ServerProc[];
  /** Processes found anew at each snapshot (see ServerProc.group). */
  transientProcs?(): ServerProc[];
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
  selfCpu: NodeJS.CpuUsage;
  machine: { busy: number; total: number } | null;
}

export function snapshot(sys: Pick<RunningSystem, 'procs' | 'transientProcs'>): ProcSnapshot {
  const procs = [...sys.procs, ...(sys.transientProcs?.() ?? [])];
  return {
    at: performance.now(),
    procs,
    cpu: Object.fromEntries(procs.map((p) => [p.name, cpuSeconds(p.pid)])),
    rss: rssOf(procs.filter((p) => !p.group)),
    selfCpu: process.cpuUsage(),
    machine: machineTicks(),
  };
}

export interface ProcUsage {
  /** % of one core over the phase, per process. */
  cpuPercent: Record<string, number | null>;
  serverCpuPercentTotal: number;
  clientCpuPercent: number;
  /** Busy CPU of the whole machine, in % of one core (CORES × 100 = all busy). */
  machineCpuPercent: number | null;
  /** machine − client − the system's processes: other work on the box that disturbed the phase. */
  otherCpuPercent: number | null;
  /** VmRSS at the end of the phase, KiB. */
  rssKb: Record<string, number | null>;
  maxServerRssKb: number | null;
}

export function usageBetween(a: ProcSnapshot, b: ProcSnapshot): ProcUsage {
  const wall = (b.at - a.at) / 1000;
  const cpuPercent: Record<string, number | null> = {};
  const groups: Record<string, number> = {};
  let total = 0;
  for (const p of b.procs) {
    const y = b.cpu[p.name];
    const x = p.name in a.cpu ? a.cpu[p.name] : p.group ? 0 : null;
    if (p.group) {
      if (x != null && y != null) groups[p.group] = (groups[p.group] ?? 0) + (y - x);
      continue;
    }
    const pct = x == null || y == null || wall <= 0 ? null : Math.round(((y - x) / wall) * 1000) / 10;
    cpuPercent[p.name] = pct;
    total += pct ?? 0;
  }
  for (const [g, sec] of Object.entries(groups)) {
    const pct = wall > 0 ? Math.round((sec / wall) * 1000) / 10 : 0;
    cpuPercent[g] = pct;
    total += pct;
  }
  const self = (b.selfCpu.user + b.selfCpu.system - a.selfCpu.user - a.selfCpu.system) / 1e6;
  const serverRss = b.procs.filter((p) => p.role === 'server').map((p) => b.rss[p.name]);
  const clientCpuPercent = wall > 0 ? Math.round((self / wall) * 1000) / 10 : 0;
  const machine =
    a.machine && b.machine && b.machine.total > a.machine.total
      ? Math.round(((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * CORES * 1000) / 10
      : null;
  return {
    cpuPercent,
    serverCpuPercentTotal: Math.round(total * 10) / 10,
    clientCpuPercent,
    machineCpuPercent: machine,
    otherCpuPercent: machine === null ? null : Math.max(0, Math.round((machine - clientCpuPercent - total) * 10) / 10),
    rssKb: b.rss,
    maxServerRssKb: serverRss.some((r) => r == null) ? null : Math.max(...(serverRss as number[])),
  };
}
