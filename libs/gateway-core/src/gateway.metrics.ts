import { Counter, Gauge, Histogram, LATENCY_BUCKETS, oncePerProcess } from '@chat/observability';

/** Prometheus metrics of a gateway, registered once per process. */
export class GatewayMetrics {
  static readonly get = oncePerProcess(() => new GatewayMetrics());

  readonly connections = new Gauge({ name: 'gateway_connections', help: 'Open WebSocket connections' });
  readonly framesIn = new Counter({
    name: 'gateway_frames_in_total',
    help: 'Client frames received, by outcome',
    labelNames: ['outcome'],
  });
  readonly roomEvents = new Counter({ name: 'gateway_room_events_total', help: 'Room events fanned out (once per event, not per socket)' });
  readonly deliveries = new Counter({ name: 'gateway_deliveries_total', help: 'Replies and user events delivered' });
  readonly roomChannels = new Gauge({ name: 'gateway_room_channels', help: 'Room channels this gateway is subscribed to' });
  readonly closes = new Counter({
    name: 'gateway_closes_total',
    help: 'Sockets closed, by WebSocket close code (closeCodeLabel: 1000 normal, 1001 gateway draining, 1006 abnormal — the peer vanished or its send buffer passed MAX_BACKPRESSURE_BYTES —, 1012 reconnect, 1013 backend unavailable, 4001 unauthorized, 4008 too many sockets, 4009 a door session whose reader fell behind; any other code is "other")',
    labelNames: ['code'],
  });
  readonly authFailures = new Counter({
    name: 'gateway_auth_failures_total',
    help: 'Sockets refused or closed for authentication, by reason (bad_token, auth_required, timeout, expired, revoked, refresh_refused)',
    labelNames: ['reason'],
  });
  readonly deliveryLatency = new Histogram({
    name: 'gateway_delivery_latency_seconds',
    help: 'From the messages service committing a room event to this gateway handing it to uWS (once per event; includes clock skew between hosts)',
    buckets: LATENCY_BUCKETS,
  });

  private constructor() {}
}
