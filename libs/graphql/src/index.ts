export * from './chat-reads';
export * from './chat-session';
export * from './errors';
export * from './graphql-context';
export * from './graphql-door';
export * from './persisted-queries';
export * from './door-chat-session';
export * from './graphql-ws-server';
