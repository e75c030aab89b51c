export * from './messages.service';
// A room's members with presence, for the api's reads too.
export * from './member-list';
// The op machinery, for services that answer ops of their own from a stream (search).
export * from './batch-processor';
export * from './messaging.metrics';
export * from './op-context';
export * from './op-table';
