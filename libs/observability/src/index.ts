export * from './logger';
export * from './metrics';
export * from './observability.module';
export * from './pino-nest.logger';
export * from './readiness';
export * from './run-main';
export * from './service-app';
export * from './startup-dependencies';
