import { Database } from '@chat/store';
import { ChatEvent } from './chat-event';
import { foldEvents } from './index-changes';
import { ReindexOptions, ReindexResult, reindexSearch } from './reindex';

export interface ApplyResult {
  /** Rows inserted or replaced by a newer version. */
  indexed: number;
  /** Rows turned into tombstones (new ones; a repeated deletion counts 0). */
  deleted: number;
}

/**
 * Writes `chat:events` into the search read model (`search_messages`). Applying is
 * idempotent and order-insensitive, because a consumer may see an event twice and replicas
 * may apply a room's events out of order:
 * - created/updated store the message unless the stored row is at least as new (version =
 *   edited_at, else created_at) or is a tombstone;
 * - deleted leaves a tombstone (deleted = true, text emptied, so the words are gone) that no
 *   later created/updated can overwrite — a (room, seq) is never reused;
 * - member.joined/left change nothing: queries read membership from room_members.
 * A batch is one transaction of at most two statements (upserts, deletions).
 */
export class SearchIndex {
  constructor(private readonly db: Database) {}

  async apply(events: readonly ChatEvent[]): Promise<ApplyResult> {
    const { upserts, deletions } = foldEvents(events);
    if (upserts.length === 0 && deletions.length === 0) return { indexed: 0, deleted: 0 };
    return this.db.transaction(async (tx) => {
      let indexed = 0;
      let deleted = 0;
      if (upserts.length > 0) {
        const rows = await tx.query(
          `INSERT INTO search_messages AS s (room_id, seq, message_id, author_id, author_name, text, created_at, edited_at)
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
           ON CONFLICT (room_id, seq) DO UPDATE SET
             message_id = EXCLUDED.message_id, author_id = EXCLUDED.author_id, author_name = EXCLUDED.author_name,
             text = EXCLUDED.text, created_at = EXCLUDED.created_at, edited_at = EXCLUDED.edited_at
           WHERE NOT s.deleted
             AND COALESCE(EXCLUDED.edited_at, EXCLUDED.created_at) > COALESCE(s.edited_at, s.created_at)
           RETURNING 1`,
          [
            upserts.map((m) => m.roomId),
            upserts.map((m) => m.seq),
            upserts.map((m) => m.id),
            upserts.map((m) => m.authorId),
            upserts.map((m) => m.authorName),
            upserts.map((m) => m.text),
            upserts.map((m) => m.createdAt),
            upserts.map((m) => m.editedAt),
          ],
        );
        indexed = rows.length;
      }
      if (deletions.length > 0) {
        const rows = await tx.query(
          `INSERT INTO search_messages AS s (room_id, seq, message_id, deleted)
           SELECT room_id, seq, id, true FROM unnest($1::text[], $2::int[], $3::text[]) AS d(room_id, seq, id)
           ON CONFLICT (room_id, seq) DO UPDATE SET deleted = true, text = ''
           WHERE NOT s.deleted
           RETURNING 1`,
          [deletions.map((d) => d.roomId), deletions.map((d) => d.seq), deletions.map((d) => d.id)],
        );
        deleted = rows.length;
      }
      return { indexed, deleted };
    });
  }

  /** Rebuilds the index from the messages table (see reindexSearch). */
  reindex(options?: ReindexOptions): Promise<ReindexResult> {
    return reindexSearch(this.db, options);
  }
}
