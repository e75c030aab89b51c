import { Histogram, LATENCY_BUCKETS, metricsRegistry } from '@chat/observability';
import type { NextFunction, Request, Response } from 'express';

type Label = 'method' | 'route' | 'status';
const NAME = 'http_request_duration_seconds';

let histogram: Histogram<Label> | undefined;

/**
 * One histogram per process, even when several api instances start in it (tests, the
 * all-in-one entry): prom-client refuses a second metric of the same name.
 */
function requestDuration(): Histogram<Label> {
  histogram ??=
    (metricsRegistry.getSingleMetric(NAME) as Histogram<Label> | undefined) ??
    new Histogram<Label>({
      name: NAME,
      help: 'HTTP request duration in seconds, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
    });
  return histogram;
}

/**
 * Times every request. The route label is the matched pattern (`/api/rooms/:id/messages`),
 * never the raw path, so ids and probes for unknown paths cannot explode the label set.
 */
export function httpMetricsMiddleware() {
  const metric = requestDuration();
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const route = request.route ? `${request.baseUrl}${String(request.route.path)}` : '(no route)';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metric.observe({ method: request.method, route, status: String(response.statusCode) }, seconds);
    });
    next();
  };
}
