export * from './cli-args';
export * from './commands';
export * from './output';
export * from './sign-in';
export * from './terminal-chat';
