import { Counter, Gauge, oncePerProcess } from '@chat/observability';

/** Prometheus metrics of the gRPC door (its sessions are also the gateway_* series). */
export class GrpcDoorMetrics {
  static readonly get = oncePerProcess(() => new GrpcDoorMetrics());

  readonly calls = new Counter({
    name: 'grpc_door_calls_total',
    help: 'gRPC calls finished, by method and status code name (OK, UNAUTHENTICATED, RESOURCE_EXHAUSTED…)',
    labelNames: ['method', 'code'],
  });
  readonly streams = new Gauge({ name: 'grpc_door_streams', help: 'Open ChatStream calls' });
  readonly pooledSessions = new Gauge({ name: 'grpc_door_pooled_sessions', help: 'Sessions kept for unary calls (one per bearer token in use)' });
}
