export * from './chat-event';
export * from './highlight';
export * from './index-changes';
export * from './query-terms';
export * from './reindex';
export * from './search-index';
export * from './search-queries';
export type { LoadedHit, RankedHit } from './hit-messages';
