export * from './client-socket';
export * from './gateway';
export * from './gateway.metrics';
