export * from './endpoint-policy';
export * from './http-poster';
export * from './retry-backoff';
