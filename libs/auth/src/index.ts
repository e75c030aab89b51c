export * from './password';
export * from './token.service';
