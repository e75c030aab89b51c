export * from './messages.service';
