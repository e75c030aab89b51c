export * from './presence.metrics';
export * from './presence.service';
export * from './presence-reader';
export * from './gateway-connections';
