export * from './keys';
export * from './redis-connection';
export * from './shard';
export * from './shard-lease';
export * from './stream-consumer';
export * from './lua-script';
