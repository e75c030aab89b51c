export * from './presence.metrics';
export * from './presence.service';
