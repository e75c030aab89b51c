import { Database } from '../database';
import { iso } from '../rows';

/** An upload as stored: its metadata, where its bytes are, and the message it went to. */
export interface AttachmentRecord {
  id: string;
  ownerId: string;
  name: string;
  size: number;
  type: string;
  width?: number;
  height?: number;
  storageKey: string;
  createdAt: string;
  /** The message that carries it; absent while unclaimed. */
  message?: { roomId: string; seq: number };
}

export type NewAttachment = Omit<AttachmentRecord, 'createdAt' | 'message'>;

/** What a sender's ids are, for `message.send`'s checks before the insert claims them. */
export interface AttachmentClaimState {
  ownerId: string;
  used: boolean;
}

interface AttachmentRow {
  id: string;
  owner_id: string;
  name: string;
  size: string | number;
  content_type: string;
  width: number | null;
  height: number | null;
  storage_key: string;
  created_at: Date | string;
  room_id: string | null;
  seq: number | null;
}

const COLUMNS = 'a.id, a.owner_id, a.name, a.size, a.content_type, a.width, a.height, a.storage_key, a.created_at, a.room_id, a.seq';

function toRecord(row: AttachmentRow): AttachmentRecord {
  const record: AttachmentRecord = {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    size: Number(row.size),
    type: row.content_type,
    storageKey: row.storage_key,
    createdAt: iso(row.created_at),
  };
  if (row.width !== null) record.width = row.width;
  if (row.height !== null) record.height = row.height;
  if (row.room_id !== null && row.seq !== null) record.message = { roomId: row.room_id, seq: Number(row.seq) };
  return record;
}

/**
 * Upload metadata. Claiming an upload for a message is part of the message insert
 * (MessageRepository.appendBatch); this reads, adds, and removes what is no longer wanted.
 */
export class AttachmentRepository {
  constructor(private readonly db: Database) {}

  async insert(attachment: NewAttachment): Promise<AttachmentRecord> {
    const rows = await this.db.query<AttachmentRow>(
      `INSERT INTO attachments AS a (id, owner_id, name, size, content_type, width, height, storage_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [
        attachment.id,
        attachment.ownerId,
        attachment.name,
        attachment.size,
        attachment.type,
        attachment.width ?? null,
        attachment.height ?? null,
        attachment.storageKey,
      ],
    );
    return toRecord(rows[0]);
  }

  /**
   * The attachment with whether `userId` may read it now: a member of its message's room,
   * or, while it is unclaimed, its owner. Undefined when unknown or its message was deleted.
   */
  async findForReader(id: string, userId: string): Promise<{ attachment: AttachmentRecord; readable: boolean } | undefined> {
    const rows = await this.db.query<AttachmentRow & { readable: boolean }>(
      `SELECT ${COLUMNS},
         CASE WHEN a.room_id IS NULL THEN a.owner_id = $2
              ELSE EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = a.room_id AND rm.user_id = $2) END AS readable
       FROM attachments a WHERE a.id = $1 AND a.deleted_at IS NULL`,
      [id, userId],
    );
    return rows[0] && { attachment: toRecord(rows[0]), readable: rows[0].readable };
  }

  /** Who owns each of `ids` and whether a message took it; ids not in the map do not exist (or were deleted). */
  async claimStates(ids: string[]): Promise<Map<string, AttachmentClaimState>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; owner_id: string; used: boolean }>(
      `SELECT a.id, a.owner_id, a.room_id IS NOT NULL AS used FROM attachments a WHERE a.id = ANY($1::text[]) AND a.deleted_at IS NULL`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { ownerId: r.owner_id, used: r.used }]));
  }

  /**
   * Removes up to `limit` attachments nobody needs — never claimed and created before
   * `unclaimedBefore`, or of a deleted message — and returns their storage keys. The DELETE
   * is the claim: concurrent sweepers (api replicas) skip each other's rows and never return
   * the same key twice.
   */
  async removeUnwanted(unclaimedBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ storage_key: string }>(
      `DELETE FROM attachments WHERE id IN (
         SELECT id FROM attachments
         WHERE (room_id IS NULL AND created_at < $1) OR deleted_at IS NOT NULL
         LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING storage_key`,
      [unclaimedBefore, limit],
    );
    return rows.map((r) => r.storage_key);
  }
}
