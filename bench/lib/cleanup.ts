/**
 * Owns everything the bench starts: child processes (killed on any exit, also SIGINT/SIGTERM,
 * uncaught errors and the watchdog) and async cleanup hooks (stack.stop, DROP DATABASE),
 * which run last-registered first, each bounded in time.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
const pids = new Set<number>();
const hooks: { name: string; fn: () => Promise<void> }[] = [];
let shuttingDown = false;

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** A process started by someone else (devstack) that must not outlive the bench. */
export function trackPid(pid: number): () => void {
  pids.add(pid);
  return () => pids.delete(pid);
}

/** Registers an async cleanup; returns a function that unregisters it. */
export function onCleanup(name: string, fn: () => Promise<void>): () => void {
  const hook = { name, fn };
  hooks.push(hook);
  return () => {
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
  };
}

function killAllNow(signal: NodeJS.Signals): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export async function runCleanup(timeoutMsEach = 8000): Promise<void> {
  while (hooks.length) {
    const hook = hooks.pop()!;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        hook.fn(),
        new Promise<void>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMsEach} ms`)), timeoutMsEach);
        }),
      ]);
    } catch (err) {
      console.error(`[bench] cleanup "${hook.name}" failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  killAllNow('SIGTERM');
  const deadline = Date.now() + 2000;
  while (children.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  killAllNow('SIGKILL');
}

/** Installs the exit paths; `onFatal` is how the bench exits after a signal or a crash. */
export function installExitHandlers(): void {
  process.on('exit', () => killAllNow('SIGKILL'));
  const fatal = (why: string, code: number) => {
    if (shuttingDown) {
      killAllNow('SIGKILL');
      process.exit(code);
    }
    shuttingDown = true;
    console.error(`[bench] ${why}: cleaning up`);
    void runCleanup(4000).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => fatal('SIGINT', 130));
  process.on('SIGTERM', () => fatal('SIGTERM', 143));
  process.on('uncaughtException', (err) => {
    console.error(err);
    fatal('uncaught exception', 1);
  });
  process.on('unhandledRejection', (err) => {
    console.error(err);
    fatal('unhandled rejection', 1);
  });
}

/** Kills everything and exits non-zero if the whole run takes longer than `seconds`. */
export function startWatchdog(seconds: number): NodeJS.Timeout {
  const t = setTimeout(() => {
    console.error(`[bench] watchdog: run exceeded ${seconds} s`);
    shuttingDown = true;
    void runCleanup(3000).finally(() => process.exit(2));
  }, seconds * 1000);
  t.unref();
  return t;
}

/**
 * Starts something under a cleanup hook: `stop` is registered before `build` runs and undoes a
 * partial start; if `build` throws, `onError` runs (e.g. to print logs), then `stop`, and the
 * error is rethrown. The result's `stop` unregisters the hook and runs `stop`.
 */
export async function startGuarded<T extends { stop(): Promise<void> }>(
  name: string,
  stop: () => Promise<void>,
  build: () => Promise<Omit<T, 'stop'>>,
  onError?: () => void,
): Promise<T> {
  const unregister = onCleanup(name, stop);
  try {
    const started = await build();
    return {
      ...started,
      stop: async () => {
        unregister();
        await stop();
      },
    } as T;
  } catch (err) {
    unregister();
    onError?.();
    await stop();
    throw err;
  }
}
