import { Counter, oncePerProcess } from '@chat/observability';

/** Metrics every stream worker shares, whichever service runs it (labelled by stream). */
export const streamMetrics = oncePerProcess(() => ({
  deadLetters: new Counter({
    name: 'chat_stream_dead_letters_total',
    help: 'Entries that failed on their own and were moved to the dead-letter stream (npm run dead-letters)',
    labelNames: ['stream'],
  }),
}));
