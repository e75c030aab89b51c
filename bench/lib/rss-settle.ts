/**
 * A settled RSS reading: sample VmRSS until it stayed within a tolerance over a window
 * (2 s by default), bounded in time. Heap growth, lazy GC and allocator caches move RSS for a
 * while after a burst of work; one reading right after the burst measures the burst.
 */
import { rssKb } from './proc-stats';
import { sleep } from './net-util';

export interface SettleOptions {
  /** RSS must stay within tolerance over this long (default 2000 ms). */
  windowMs?: number;
  intervalMs?: number;
  /** Wait at least this long before the window may start (default 0). */
  minWaitMs?: number;
  /** Give up (stable: false) after this long; the last reading is still returned. */
  maxMs: number;
  /** max − min allowed within the window, KiB (default: max(512 KiB, 0.2% of RSS)). */
  toleranceKb?: (rssKb: number) => number;
}

export interface SettledRss {
  rssKb: number | null;
  stable: boolean;
  waitedMs: number;
  /** max − min over the last window, KiB. */
  windowRangeKb: number | null;
  /** Highest reading seen while waiting. */
  maxSeenKb: number | null;
}

export const defaultTolerance = (rss: number) => Math.max(512, Math.round(rss * 0.002));

export async function waitStableRss(pid: number, opts: SettleOptions): Promise<SettledRss> {
  const windowMs = opts.windowMs ?? 2000;
  const intervalMs = opts.intervalMs ?? 200;
  const tolerance = opts.toleranceKb ?? defaultTolerance;
  const t0 = Date.now();
  if (opts.minWaitMs) await sleep(opts.minWaitMs);
  const samples: { at: number; kb: number }[] = [];
  let maxSeen: number | null = null;
  for (;;) {
    const kb = rssKb(pid);
    const now = Date.now();
    if (kb === null) return { rssKb: null, stable: false, waitedMs: now - t0, windowRangeKb: null, maxSeenKb: maxSeen };
    maxSeen = Math.max(maxSeen ?? 0, kb);
    samples.push({ at: now, kb });
    while (samples.length > 1 && samples[1].at <= now - windowMs) samples.shift();
    const covered = now - samples[0].at >= windowMs;
    const range = Math.max(...samples.map((s) => s.kb)) - Math.min(...samples.map((s) => s.kb));
    if (covered && range <= tolerance(kb)) return { rssKb: kb, stable: true, waitedMs: now - t0, windowRangeKb: range, maxSeenKb: maxSeen };
    if (now - t0 >= opts.maxMs) return { rssKb: kb, stable: false, waitedMs: now - t0, windowRangeKb: range, maxSeenKb: maxSeen };
    await sleep(intervalMs);
  }
}
