import * as init from './001-init.migration';
import * as moderation from './002-moderation-reactions-threads.migration';
import * as fences from './003-shard-fences.migration';
import * as search from './004-search.migration';
import * as push from './005-push.migration';
import * as attachments from './006-attachments.migration';
import * as webhooksBots from './007-webhooks-bots.migration';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

/** Every migration, in order. Append only: an applied migration never changes. */
export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'init', up: init.up },
  { version: 2, name: 'moderation-reactions-threads', up: moderation.up },
  { version: 3, name: 'shard-fences', up: fences.up },
  { version: 4, name: 'search', up: search.up },
  { version: 5, name: 'push', up: push.up },
  { version: 6, name: 'attachments', up: attachments.up },
  { version: 7, name: 'webhooks-bots', up: webhooksBots.up },
];
