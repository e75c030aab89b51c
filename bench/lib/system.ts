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

export interface RunningSystem {
  key: SystemKey;
  label: string;
  clients: BenchClient[];
  procs: ServerProc[];
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
  cpu: Record<string, number | null>;
  rss: Record<string, number | null>;
  selfCpu: NodeJS.CpuUsage;
  machine: { busy: number; total: number } | null;
}

export function snapshot(procs: ServerProc[]): ProcSnapshot {
  return {
    at: performance.now(),
    cpu: Object.fromEntries(procs.map((p) => [p.name, cpuSeconds(p.pid)])),
    rss: rssOf(procs),
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

export function usageBetween(procs: ServerProc[], a: ProcSnapshot, b: ProcSnapshot): ProcUsage {
  const wall = (b.at - a.at) / 1000;
  const cpuPercent: Record<string, number | null> = {};
  let total = 0;
  for (const p of procs) {
    const x = a.cpu[p.name];
    const y = b.cpu[p.name];
    const pct = x == null || y == null || wall <= 0 ? null : Math.round(((y - x) / wall) * 1000) / 10;
    cpuPercent[p.name] = pct;
    total += pct ?? 0;
  }
  const self = (b.selfCpu.user + b.selfCpu.system - a.selfCpu.user - a.selfCpu.system) / 1e6;
  const serverRss = procs.filter((p) => p.role === 'server').map((p) => b.rss[p.name]);
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
