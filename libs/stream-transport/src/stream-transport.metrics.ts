import { Counter, Gauge, oncePerProcess } from '@chat/observability';

/** Metrics of every RedisStreamsServer of the process (labelled by consumer group and stream). */
export const streamTransportMetrics = oncePerProcess(() => ({
  events: new Counter({
    name: 'chat_events_processed_total',
    help: 'Chat events taken from the event streams, by type and outcome (handled, ignored: no handler, retry: transient failure left pending, dead_lettered, bad_entry)',
    labelNames: ['group', 'type', 'outcome'],
  }),
  behindEntries: new Gauge({
    name: 'chat_events_behind_entries',
    help: 'Entries of the stream the consumer group has not finished: pending + not yet delivered (XINFO GROUPS)',
    labelNames: ['group', 'stream'],
  }),
  behindSeconds: new Gauge({
    name: 'chat_events_behind_seconds',
    help: 'Now minus the append time of the last event this process finished on the stream; 0 once the group is caught up',
    labelNames: ['group', 'stream'],
  }),
}));

export type StreamTransportMetrics = ReturnType<typeof streamTransportMetrics>;
