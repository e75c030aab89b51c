/**
 * What a client needs of the protocol, and nothing that runs only on Node (ids.ts uses
 * node:crypto): the SDK (libs/client) imports this module alone, so its browser build and its
 * npm package carry these files and zod, never the server's.
 */
export * from './client-frames.schema';
export * from './error-codes';
export * from './limits';
export * from './objects.schema';
export * from './replies';
export { ServerEvent } from './server-frames';
export type { EventFrame, ReplyError, ReplyOk, ServerFrame } from './server-frames';
