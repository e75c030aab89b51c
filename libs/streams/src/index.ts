export * from './outbox';
export * from './shard-ownership';
export * from './shard-worker';
export * from './transient-error';
export * from './stream-workers';
export * from './instance-id';
