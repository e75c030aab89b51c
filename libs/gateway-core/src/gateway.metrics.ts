import { Counter, Gauge, oncePerProcess } from '@chat/observability';

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

  private constructor() {}
}
