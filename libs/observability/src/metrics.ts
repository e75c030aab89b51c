import { collectDefaultMetrics, register } from 'prom-client';

export { Counter, Gauge, Histogram, register as metricsRegistry } from 'prom-client';

let defaultsOn = false;

/** Process metrics (CPU, RSS, event-loop lag, GC) once per process, even when apps share one. */
export function enableDefaultMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics();
}

/**
 * A getter that creates its value on the first call only. For metric sets: prom-client
 * refuses a second registration of a name, and apps may share one process.
 */
export function oncePerProcess<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => (instance ??= create());
}

export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: register.contentType, body: await register.metrics() };
}

/** Latency buckets in seconds, from 0.5 ms to 5 s: chat latencies live at the low end. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
