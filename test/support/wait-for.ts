import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between two probes (default 25 ms). */
  intervalMs?: number;
  /** What is awaited, for the error message: "the lease to expire". */
  what: string;
}

/**
 * Polls a condition that emits no event until it holds, then resolves with what the probe
 * returned. A probe "holds" when it returns (or resolves to) anything but `undefined` or
 * `false`; a probe that throws is treated as "not yet" and its last error is quoted in the
 * timeout message. Use this only when there is no event to await: prefer the event.
 *
 * @example
 *   await waitFor(async () => (await redis.exists(key)) === 0, { what: 'the lease to expire', timeoutMs: 2000 });
 * @throws Error `timed out after <ms> ms waiting for <what>` once the deadline passes.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 5000, intervalMs = 25, what }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(intervalMs, left));
  }
  const cause = lastError === undefined ? '' : ` (last probe threw: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
  throw new Error(`timed out after ${timeoutMs} ms (${attempts} probes) waiting for ${what}${cause}`);
}
