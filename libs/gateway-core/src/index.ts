export * from './client-socket';
export * from './close-codes';
export * from './gateway';
export * from './gateway.metrics';
export * from './ports';
