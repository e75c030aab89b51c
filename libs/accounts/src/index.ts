export * from './accounts.schema';
export * from './accounts.service';
export * from './bearer-token';
export * from './bearer.guard';
export * from './current-user.decorator';
export * from './invalid-input';
