import { Database, Queryable } from '../database';
import { WriteFence } from '../write-fence';

/** Shard epochs: advanced on every lease acquisition, checked by every write of the owner. */
export class ShardFenceRepository {
  constructor(private readonly db: Database) {}

  /** The next epoch of `shard`; waits for a former owner's transaction in flight to end. */
  async advance(shard: number): Promise<number> {
    const rows = await this.db.query<{ epoch: string }>(
      `INSERT INTO shard_fences (shard, epoch) VALUES ($1, 1)
       ON CONFLICT (shard) DO UPDATE SET epoch = shard_fences.epoch + 1 RETURNING epoch`,
      [shard],
    );
    return Number(rows[0].epoch);
  }
}

/**
 * Runs `fn` in one transaction that first checks the fence (refusing a stale epoch, holding
 * the fence row until COMMIT) and checks the local lease deadline again before committing.
 * Repository calls inside `fn` join the transaction (see Database.transaction).
 */
export async function fencedTransaction<T>(db: Database, fence: WriteFence, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  fence.assertValid();
  return db.transaction(async (tx) => {
    await tx.query('SELECT chat_fence_check($1, $2)', [fence.shard, fence.epoch]);
    const result = await fn(tx);
    fence.assertValid();
    return result;
  });
}
