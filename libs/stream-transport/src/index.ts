export * from './chat-event-entry';
export * from './event-source';
export * from './event-pump';
export * from './redis-event-source';
export * from './redis-streams.context';
export * from './redis-streams.server';
export * from './stream-event-error.filter';
export * from './stream-transport.metrics';
