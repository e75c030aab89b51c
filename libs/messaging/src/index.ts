export * from './messages.service';
// The op machinery, for services that answer ops of their own from a stream (search).
export * from './batch-processor';
export * from './messaging.metrics';
export * from './op-context';
export * from './op-table';
