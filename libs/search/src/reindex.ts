import { Database } from '@chat/store';

export interface ReindexOptions {
  /** Messages per statement (default 10,000). */
  batchSize?: number;
  /** Called after each batch with the running totals (progress output of the script). */
  onBatch?: (progress: ReindexResult) => void;
}

export interface ReindexResult {
  /** Messages of the messages table visited (live and deleted). */
  messages: number;
  /** Index rows removed because their message no longer exists (rooms deleted). */
  removed: number;
  batches: number;
}

/**
 * Rebuilds `search_messages` from the system of record, while the index stays in service:
 * the messages table is walked in (room_id, seq) order, one keyset batch per statement, and
 * each batch is upserted — live messages as their current version, soft-deleted ones as
 * tombstones — then the index rows of the batch's key range that have no message any more
 * are removed. The same version rule as event apply holds (never older over newer, never a
 * live row over a tombstone), so events applied while it runs are not undone.
 *
 * Times are stored to the millisecond, the precision of the events' ISO strings, so the
 * event of a version the rebuild already stored compares equal and is a no-op.
 */
export async function reindexSearch(db: Database, { batchSize = 10_000, onBatch }: ReindexOptions = {}): Promise<ReindexResult> {
  const result: ReindexResult = { messages: 0, removed: 0, batches: 0 };
  let after = { roomId: '', seq: 0 };
  for (;;) {
    const [last] = await db.query<{ room_id: string | null; seq: number | null; n: number }>(
      `WITH batch AS (
         SELECT room_id, seq, author_id, author_name, text, created_at, edited_at, deleted_at
         FROM messages WHERE (room_id, seq) > ($1::text, $2::int) ORDER BY room_id, seq LIMIT $3
       ), upserted AS (
         INSERT INTO search_messages AS s (room_id, seq, message_id, author_id, author_name, text, created_at, edited_at, deleted)
         SELECT room_id, seq, room_id || ':' || seq, author_id, author_name,
                CASE WHEN deleted_at IS NULL THEN text ELSE '' END,
                date_trunc('milliseconds', created_at), date_trunc('milliseconds', edited_at), deleted_at IS NOT NULL
         FROM batch
         ON CONFLICT (room_id, seq) DO UPDATE SET
           message_id = EXCLUDED.message_id, author_id = EXCLUDED.author_id, author_name = EXCLUDED.author_name,
           text = EXCLUDED.text, created_at = EXCLUDED.created_at, edited_at = EXCLUDED.edited_at, deleted = EXCLUDED.deleted
         WHERE NOT s.deleted
           AND (EXCLUDED.deleted OR COALESCE(EXCLUDED.edited_at, EXCLUDED.created_at) >= COALESCE(s.edited_at, s.created_at))
       ), tail AS (
         SELECT room_id, seq FROM batch ORDER BY room_id DESC, seq DESC LIMIT 1
       )
       SELECT tail.room_id, tail.seq, (SELECT count(*)::int FROM batch) AS n FROM (SELECT 1) one LEFT JOIN tail ON true`,
      [after.roomId, after.seq, batchSize],
    );
    const n = Number(last.n);
    // The key range this batch covers: (after, its last key]; a short batch is the last one
    // and covers (after, ∞), which also sweeps rows past the end of the messages table.
    const finalBatch = n < batchSize;
    const upTo = finalBatch ? null : { roomId: last.room_id!, seq: Number(last.seq) };
    const removed = await db.query(
      `DELETE FROM search_messages s
       WHERE (s.room_id, s.seq) > ($1::text, $2::int)
         AND ($3::text IS NULL OR (s.room_id, s.seq) <= ($3::text, $4::int))
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.room_id = s.room_id AND m.seq = s.seq)
       RETURNING 1`,
      [after.roomId, after.seq, upTo?.roomId ?? null, upTo?.seq ?? null],
    );
    result.messages += n;
    result.removed += removed.length;
    result.batches++;
    onBatch?.({ ...result });
    if (!upTo) return result;
    after = upTo;
  }
}
