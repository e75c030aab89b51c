export * from './backoff';
export * from './chat-client';
export * from './errors';
export * from './web-socket';
export * from './state/members-state';
export * from './state/rooms-state';
export * from './state/typing-state';
export * from './http-api';
