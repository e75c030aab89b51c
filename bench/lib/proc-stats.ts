/** Resident memory and CPU time of a process, from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const CLK_TCK = 100;
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

/** User + system CPU seconds, or null when the process is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return null;
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
