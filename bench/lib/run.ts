/** What both benches' entry points share: the log line, the results file, the report header, the exit. */
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from './bench-require';
import { installExitHandlers, runCleanup, startWatchdog } from './cleanup';

export const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Installs the exit paths, loads the config and starts the watchdog on its timeout; the run starts now. */
export function startRun<C extends { timeoutSeconds: number }>(load: () => C): { cfg: C; started: Date; t0: number } {
  installExitHandlers();
  const cfg = load();
  startWatchdog(cfg.timeoutSeconds);
  return { cfg, started: new Date(), t0: performance.now() };
}

/** `out` (BENCH_OUT) or bench/results/<bench>-<date>.json; its folder is created. */
export function resultsPath(out: string | undefined, bench: string, started: Date): string {
  const path = out ?? join(repoRoot(), 'bench', 'results', `${bench}-${started.toISOString().slice(0, 10)}.json`);
  mkdirSync(join(path, '..'), { recursive: true });
  return path;
}

/** The first fields of a results file: the bench, when, how long, and the machine. */
export function reportHeader(bench: string, started: Date, t0: number) {
  return {
    bench,
    startedAt: started.toISOString(),
    durationSeconds: Math.round(performance.now() - t0) / 1000,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuCount: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/**
 * Cleans up and exits. A system that could not be set up or run (an exception) fails the run;
 * lost messages or missed targets are results, reported in the table and the JSON, not failures.
 */
export async function finish(failures: Record<string, string>): Promise<never> {
  await runCleanup();
  const anyFailed = Object.keys(failures).length > 0;
  if (anyFailed) log(`systems that failed: ${Object.keys(failures).join(', ')}`);
  process.exit(anyFailed ? 1 : 0);
}

/** Runs a bench's main; an error that escapes it is printed, cleaned up after, and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch(async (err) => {
    console.error(err);
    await runCleanup(4000);
    process.exit(1);
  });
}
