/**
 * What a shard owner's writes carry (ShardFence of libs/streams satisfies it): the shard and
 * the epoch of its acquisition, checked by PostgreSQL in the same transaction
 * (chat_fence_check), and a local check of the lease deadline made before committing.
 */
export interface WriteFence {
  readonly shard: number;
  readonly epoch: number;
  /** Throws when the holder must not commit any more (its lease deadline passed). */
  assertValid(): void;
}
