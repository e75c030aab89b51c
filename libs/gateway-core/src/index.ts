export * from './client-socket';
export * from './close-codes';
export * from './gateway';
export * from './gateway-options';
export * from './gateway.metrics';
export * from './ports';
