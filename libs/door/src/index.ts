export * from './door-close';
export * from './door-gateway';
export * from './door-session';
export * from './door-socket';
export * from './door-topic-hub';
export * from './session-pool';
export * from './start-door-gateway';
