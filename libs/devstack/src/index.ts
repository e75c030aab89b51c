export * from './free-port';
export * from './redis-server';
export * from './stack';
export * from './redis-cluster';
