/** Resident memory and CPU time of a process, from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Clock ticks per second of the times in /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux). */
export const CLK_TCK = (() => {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
})();
export const CORES = cpus().length;

/** VmRSS in KiB, or null when the process is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface ProcStat {
  ppid: number;
  /** utime + stime of the process (all its threads), seconds. */
  cpu: number;
  /** cutime + cstime: CPU of its children that exited and were waited for, seconds. */
  childrenCpu: number;
}

/** The CPU fields of /proc/<pid>/stat, or null when the process is gone. */
export function procStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces:
    // rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[11..14] fields 14..17.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(rest[1]),
      cpu: (Number(rest[11]) + Number(rest[12])) / CLK_TCK, // utime, stime
      childrenCpu: (Number(rest[13]) + Number(rest[14])) / CLK_TCK, // cutime, cstime
    };
  } catch {
    return null;
  }
}

/** User + system CPU seconds (utime + stime, all threads), or null when the process is gone. */
export function cpuSeconds(pid: number): number | null {
  return procStat(pid)?.cpu ?? null;
}

/** Process title (argv as rewritten by the process, NULs as spaces); null when gone. */
export function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
  } catch {
    return null;
  }
}

/** Direct children of `pid` (from /proc/<pid>/task/<tid>/children; a /proc scan where that is missing). */
export function childPids(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list) for (const c of list.split(/\s+/)) out.push(Number(c));
    }
    return out;
  } catch {
    const out: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (/^\d+$/.test(entry) && procStat(Number(entry))?.ppid === pid) out.push(Number(entry));
    }
    return out;
  }
}

/** Whole-machine CPU time in ticks, from the first line of /proc/stat. */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3] - v[4], total };
  } catch {
    return null;
  }
}

/**
 * One child of the postmaster, by its process title (`update_process_title`, on by default):
 * 'backend' of a database ("postgres: 15/main: <user> <database> <host> <state>"), or a
 * 'background' process (checkpointer, background writer, walwriter, autovacuum launcher and
 * workers, logical replication launcher, ...).
 */
export interface PostgresChild {
  pid: number;
  kind: 'backend' | 'background';
  database: string | null;
  cpu: number;
}

const PG_BACKGROUND = /: (checkpointer|background writer|walwriter|autovacuum|logical replication|stats collector|archiver|walsender|walreceiver|startup|parallel worker|io worker|walsummarizer)/;

/** The postmaster's live children with their CPU, classified by title. */
export function postgresChildren(postmaster: number): PostgresChild[] {
  const out: PostgresChild[] = [];
  for (const pid of childPids(postmaster)) {
    const title = cmdline(pid);
    const cpu = cpuSeconds(pid);
    if (title === null || cpu === null) continue;
    if (PG_BACKGROUND.test(title)) {
      // "autovacuum worker <db>" names the database it vacuums; count it as background.
      out.push({ pid, kind: 'background', database: null, cpu });
      continue;
    }
    // "postgres: [cluster: ]user database host state": the database is the word after the user.
    // A child not yet retitled shows the postmaster's own command line: database null.
    const m = /^postgres:\s+(?:\S+:\s+)?(\S+)\s+(\S+)\s/.exec(title + ' ');
    out.push({ pid, kind: 'backend', database: m ? m[2] : null, cpu });
  }
  return out;
}

/**
 * CPU seconds of a whole PostgreSQL cluster so far: the postmaster itself, its children that
 * exited (cutime + cstime of the postmaster, which waits for them) and its live children.
 */
export function postgresClusterCpu(postmaster: number): number | null {
  const pm = procStat(postmaster);
  if (!pm) return null;
  let live = 0;
  for (const pid of childPids(postmaster)) live += cpuSeconds(pid) ?? 0;
  return pm.cpu + pm.childrenCpu + live;
}

/** PostgreSQL backends serving `database` (their process title names it). */
export function postgresBackends(database: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${database} `)) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** RLIMIT_NOFILE (open files) of a process, from /proc/<pid>/limits; null when unreadable. */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!m) return null;
    const n = (s: string) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
    return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    return null;
  }
}

/** File descriptors a process has open now; null when unreadable. */
export function openFdCount(pid: number | 'self' = 'self'): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Whether this process has capability `bit` in its effective set (CAP_SYS_RESOURCE = 24); null when unreadable. */
export function hasCapability(bit: number): boolean | null {
  try {
    const m = /^CapEff:\s+([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n : null;
  } catch {
    return null;
  }
}

/** The kernel's ephemeral port range (net.ipv4.ip_local_port_range); null when unreadable. */
export function ephemeralPortRange(): { low: number; high: number; count: number } | null {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return { low, high, count: high - low + 1 };
  } catch {
    return null;
  }
}
