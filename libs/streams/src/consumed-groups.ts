import { Groups, Keys } from '@chat/redis';
import type { WatchedGroup } from './stream-group.metrics';

const perShard = (shards: number, stream: (shard: number) => string, group: string): WatchedGroup[] =>
  Array.from({ length: shards }, (_, n) => ({ stream: stream(n), group }));

/** Which consumer group of which service reads which stream: what each service reports, and the admin overview lists. */
export const ConsumedGroups = {
  messages: (shards: number): WatchedGroup[] => [...perShard(shards, Keys.inStream, Groups.messages), { stream: Keys.readsIn(), group: Groups.reads }],
  presence: (): WatchedGroup[] => [{ stream: Keys.presenceIn(), group: Groups.presence }],
  search: (shards: number): WatchedGroup[] => [{ stream: Keys.searchIn(), group: Groups.searchQueries }, ...perShard(shards, Keys.eventStream, Groups.search)],
  push: (shards: number): WatchedGroup[] => perShard(shards, Keys.eventStream, Groups.push),
  webhooks: (shards: number): WatchedGroup[] => perShard(shards, Keys.eventStream, Groups.webhooks),
  all: (shards: number): WatchedGroup[] => [
    ...ConsumedGroups.messages(shards),
    ...ConsumedGroups.presence(),
    ...ConsumedGroups.search(shards),
    ...ConsumedGroups.push(shards),
    ...ConsumedGroups.webhooks(shards),
  ],
};
