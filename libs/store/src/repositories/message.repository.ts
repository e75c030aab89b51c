import { Message } from '@chat/protocol';
import { Database, Queryable } from '../database';
import { MESSAGE_COLUMNS, MessageRow, toMessage } from '../rows';
import { WriteFence } from '../write-fence';
import { fencedTransaction } from './shard-fence.repository';

export interface MessageDraft {
  roomId: string;
  authorId: string;
  authorName: string;
  text: string;
  clientMsgId: string;
  replyTo?: string;
  /** Mentions to resolve against the room's members when stored (see resolvedMentions). */
  mentions?: MentionDraft;
  /** Uploads of the author to claim for this message (see claimedAttachments). */
  attachmentIds?: string[];
}

/** Lower-cased usernames the text names, and whether `@room` counts (the author may use it). */
export interface MentionDraft {
  names: string[];
  room: boolean;
}

/**
 * SQL for the user ids of room `room`'s members whose lower-cased username is one of the
 * space-separated `names` (NULL: none). Names of non-members resolve to nothing.
 */
function resolvedMentions(room: string, names: string): string {
  return `CASE WHEN ${names} IS NULL THEN '{}'::text[] ELSE COALESCE((
    SELECT array_agg(rm.user_id ORDER BY rm.user_id) FROM room_members rm JOIN users u ON u.id = rm.user_id
    WHERE rm.room_id = ${room} AND lower(u.username) = ANY(string_to_array(${names}, ' '))), '{}') END`;
}

function mentionNames(mentions: MentionDraft | undefined): string | null {
  return mentions && mentions.names.length > 0 ? mentions.names.join(' ') : null;
}

/**
 * SQL for the JSON `messages.attachments` of a draft whose upload ids are the space-separated
 * `ids` (NULL: none), in the order the sender gave. Ids with no upload are left out here; the
 * claim (see insertWithSeqs) counts them missing and fails the statement.
 */
function attachmentsJson(ids: string): string {
  return `CASE WHEN ${ids} IS NULL THEN '[]'::jsonb ELSE COALESCE((
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', a.id, 'name', a.name, 'size', a.size,
             'type', a.content_type, 'width', a.width, 'height', a.height)) ORDER BY w.ord)
    FROM unnest(string_to_array(${ids}, ' ')) WITH ORDINALITY AS w(id, ord) JOIN attachments a ON a.id = w.id), '[]') END`;
}

// Upload ids are [a-z0-9] (newAttachmentId), so a space joins them unambiguously.
function attachmentIdList(ids: string[] | undefined): string | null {
  return ids && ids.length > 0 ? ids.join(' ') : null;
}

/** PostgreSQL error of chat_attachments_claimed (migration 006). */
const ATTACHMENT_NOT_CLAIMED = 'CHA02';

/**
 * A send's attachment could not be claimed when its message was inserted: it was deleted,
 * is someone else's, or another message took it first (a race the checks before the insert
 * cannot see). The whole statement was rolled back.
 */
export function isAttachmentClaimError(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === ATTACHMENT_NOT_CLAIMED;
}

export interface AppendOutcome {
  message: Message;
  /** False when (author, clientMsgId) already existed: the first message is returned. */
  created: boolean;
}

/** Messages: append in batches, read history. */
export class MessageRepository {
  constructor(private readonly db: Database) {}

  /**
   * Appends a batch and returns outcomes in draft order. Every draft's room must exist: when
   * one does not, the whole batch fails and nothing of it is committed. With a `fence`, the
   * write happens only under the shard's current epoch (see fencedTransaction).
   *
   * Fast path — when `mayExist` is false (fresh entries, nothing redelivered) and the batch
   * repeats no (author, clientMsgId): ONE statement, so one round trip and an implicit
   * transaction: reserve a block of seqs per room (the room row lock orders concurrent
   * writers: no gaps, no repeats), one multi-row INSERT, authors' read markers moved.
   * A client retry of a stored clientMsgId trips the unique key, the statement rolls back,
   * and the batch takes the careful path: in one transaction, look the pairs up first,
   * then insert only the new ones (a duplicate returns the first message, created=false).
   */
  async appendBatch(
    drafts: MessageDraft[],
    { mayExist = true, fence }: { mayExist?: boolean; fence?: WriteFence } = {},
  ): Promise<AppendOutcome[]> {
    if (drafts.length === 0) return [];
    const pairs = new Set(drafts.map((d) => clientKey(d.authorId, d.clientMsgId)));
    if (!mayExist && pairs.size === drafts.length) {
      try {
        fence?.assertValid();
        return (await this.insertWithSeqs(this.db, drafts, fence)).map((message) => ({ message, created: true }));
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      }
    }
    const careful = async (tx: Queryable) => {
      const existing = await this.findByClientIds(tx, drafts);
      const outcomes: (AppendOutcome | undefined)[] = drafts.map((d) => {
        const found = existing.get(clientKey(d.authorId, d.clientMsgId));
        return found && { message: found, created: false };
      });

      // Drafts to create: new pairs, first occurrence only (a retry inside one batch is a duplicate).
      const fresh: number[] = [];
      const firstOfPair = new Map<string, number>();
      drafts.forEach((d, i) => {
        if (outcomes[i]) return;
        const key = clientKey(d.authorId, d.clientMsgId);
        if (!firstOfPair.has(key)) {
          firstOfPair.set(key, i);
          fresh.push(i);
        }
      });

      if (fresh.length > 0) {
        const created = await this.insertWithSeqs(
          tx,
          fresh.map((i) => drafts[i]),
        );
        fresh.forEach((draftIndex, k) => (outcomes[draftIndex] = { message: created[k], created: true }));
      }
      return drafts.map((d, i) => {
        const own = outcomes[i];
        if (own) return own;
        // A later duplicate of a pair created in this same batch.
        return { message: outcomes[firstOfPair.get(clientKey(d.authorId, d.clientMsgId))!]!.message, created: false };
      });
    };
    return fence ? fencedTransaction(this.db, fence, careful) : this.db.transaction(careful);
  }

  /** One page of history, oldest first: the `limit` messages before `beforeSeq` (or the latest). */
  async history(roomId: string, beforeSeq: number | undefined, limit: number): Promise<{ messages: Message[]; hasMore: boolean }> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.room_id = $1 AND ($2::int IS NULL OR m.seq < $2) ORDER BY m.seq DESC LIMIT $3`,
      [roomId, beforeSeq ?? null, limit + 1],
    );
    const hasMore = rows.length > limit;
    return { messages: await this.withReactions(roomId, rows.slice(0, limit).reverse().map(toMessage)), hasMore };
  }

  /** One page of a thread: the replies to `rootId`, oldest first, before `beforeSeq`. */
  async thread(roomId: string, rootId: string, beforeSeq: number | undefined, limit: number): Promise<{ messages: Message[]; hasMore: boolean }> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.room_id = $1 AND m.reply_to = $2 AND ($3::int IS NULL OR m.seq < $3) ORDER BY m.seq DESC LIMIT $4`,
      [roomId, rootId, beforeSeq ?? null, limit + 1],
    );
    const hasMore = rows.length > limit;
    return { messages: await this.withReactions(roomId, rows.slice(0, limit).reverse().map(toMessage)), hasMore };
  }

  /** The message a user already stored under a clientMsgId, if any. */
  async findByClientMsgId(authorId: string, clientMsgId: string): Promise<Message | undefined> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.author_id = $1 AND m.client_msg_id = $2`,
      [authorId, clientMsgId],
    );
    return rows[0] && toMessage(rows[0]);
  }

  async find(roomId: string, seq: number): Promise<Message | undefined> {
    const rows = await this.db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.room_id = $1 AND m.seq = $2`, [roomId, seq]);
    return rows[0] && (await this.withReactions(roomId, [toMessage(rows[0])]))[0];
  }

  /**
   * Replaces the text of a live message, stamps editedAt and resolves the new text's
   * mentions; undefined when absent or deleted.
   */
  async edit(roomId: string, seq: number, text: string, mentions?: MentionDraft): Promise<Message | undefined> {
    const rows = await this.db.query<MessageRow>(
      `UPDATE messages m SET text = $3, edited_at = now(),
         mentions = ${resolvedMentions('$1', '$4::text')}, mentions_room = $5
       WHERE m.room_id = $1 AND m.seq = $2 AND m.deleted_at IS NULL
       RETURNING ${MESSAGE_COLUMNS}`,
      [roomId, seq, text, mentionNames(mentions), mentions?.room ?? false],
    );
    return rows[0] && (await this.withReactions(roomId, [toMessage(rows[0])]))[0];
  }

  /**
   * Tombstones a message: the row (and its seq) stays, its text and reactions are gone, so
   * history shows a deleted message and nothing of what it said.
   */
  async softDelete(roomId: string, seq: number): Promise<Message | undefined> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<MessageRow>(
        `UPDATE messages m SET text = '', deleted_at = now(), mentions = '{}', mentions_room = false, attachments = '[]'
         WHERE m.room_id = $1 AND m.seq = $2 AND m.deleted_at IS NULL
         RETURNING ${MESSAGE_COLUMNS}`,
        [roomId, seq],
      );
      if (rows.length > 0) {
        await tx.query('DELETE FROM reactions WHERE room_id = $1 AND seq = $2', [roomId, seq]);
        // Its files go too: no longer served, and removed with their bytes by the orphan sweep.
        await tx.query('UPDATE attachments SET deleted_at = now() WHERE room_id = $1 AND seq = $2 AND deleted_at IS NULL', [roomId, seq]);
      }
      return rows[0] && toMessage(rows[0]);
    });
  }

  /**
   * Adds or removes one user's reaction (one per user, message and emoji) and returns the
   * emoji's users after the change; `changed` is false when there was nothing to do.
   */
  async react(
    roomId: string,
    seq: number,
    userId: string,
    emoji: string,
    add: boolean,
  ): Promise<{ changed: boolean; userIds: string[] }> {
    return this.db.transaction(async (tx) => {
      const changed = add
        ? await tx.query(
            `INSERT INTO reactions (room_id, seq, user_id, emoji) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING user_id`,
            [roomId, seq, userId, emoji],
          )
        : await tx.query('DELETE FROM reactions WHERE room_id = $1 AND seq = $2 AND user_id = $3 AND emoji = $4 RETURNING user_id', [
            roomId,
            seq,
            userId,
            emoji,
          ]);
      const users = await tx.query<{ user_id: string }>(
        'SELECT user_id FROM reactions WHERE room_id = $1 AND seq = $2 AND emoji = $3 ORDER BY created_at, user_id',
        [roomId, seq, emoji],
      );
      return { changed: changed.length > 0, userIds: users.map((u) => u.user_id) };
    });
  }

  /**
   * What a client missed since `afterSeq`, oldest first. At most `limit`: when more were
   * missed, the newest `limit` are returned and `truncated` says the client should page
   * back with history from the first one it got.
   */
  async since(roomId: string, afterSeq: number, limit: number): Promise<{ messages: Message[]; truncated: boolean }> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq DESC LIMIT $3`,
      [roomId, afterSeq, limit + 1],
    );
    return { messages: await this.withReactions(roomId, rows.slice(0, limit).reverse().map(toMessage)), truncated: rows.length > limit };
  }

  /** Fills `reactions` of messages of one room: one grouped query, emojis in order of first use. */
  private async withReactions(roomId: string, messages: Message[]): Promise<Message[]> {
    if (messages.length === 0) return messages;
    const rows = await this.db.query<{ seq: number; emoji: string; user_ids: string[] }>(
      `SELECT seq, emoji, array_agg(user_id ORDER BY created_at, user_id) AS user_ids
       FROM reactions WHERE room_id = $1 AND seq = ANY($2::int[])
       GROUP BY seq, emoji ORDER BY min(created_at), emoji`,
      [roomId, messages.map((m) => m.seq)],
    );
    const bySeq = new Map(messages.map((m) => [m.seq, m]));
    for (const r of rows) bySeq.get(Number(r.seq))?.reactions.push({ emoji: r.emoji, count: r.user_ids.length, userIds: r.user_ids });
    return messages;
  }

  private async findByClientIds(tx: Queryable, drafts: MessageDraft[]): Promise<Map<string, Message>> {
    const rows = await tx.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       JOIN unnest($1::text[], $2::text[]) AS k(author_id, client_msg_id)
         ON m.author_id = k.author_id AND m.client_msg_id = k.client_msg_id`,
      [drafts.map((d) => d.authorId), drafts.map((d) => d.clientMsgId)],
    );
    return new Map(rows.map((r) => [clientKey(r.author_id, r.client_msg_id!), toMessage(r)]));
  }

  /**
   * One statement: seq blocks reserved per room, the rows inserted with `base + k` (k = the
   * draft's ordinal in its room), and the authors' read markers moved to their own messages
   * (an author has read what they wrote). With a fence, the statement first checks the
   * shard's epoch; and it fails as a whole (chat_assert) when a room of the batch is missing,
   * so a batch is never committed in part. The drafts' uploads are claimed in the same
   * statement (`claimed`: unclaimed, the author's own, not deleted); when fewer are claimed
   * than asked for, chat_attachments_claimed fails it as a whole too (isAttachmentClaimError).
   */
  private async insertWithSeqs(q: Queryable, drafts: MessageDraft[], fence?: WriteFence): Promise<Message[]> {
    const ordinal = new Map<string, number>();
    const ks = drafts.map((d) => {
      const k = (ordinal.get(d.roomId) ?? 0) + 1;
      ordinal.set(d.roomId, k);
      return k;
    });
    const rows = await q.query<MessageRow>(
      `WITH fence AS (
         SELECT CASE WHEN $8::int IS NULL THEN true ELSE chat_fence_check($8::int, $9::bigint) END AS ok
       ), d AS (
         SELECT d.* FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                $10::text[], $11::boolean[], $12::text[])
           AS d(room_id, k, author_id, author_name, text, client_msg_id, reply_to, mention_names, mentions_room,
                attachment_ids), fence
         WHERE fence.ok
       ), n AS (
         SELECT room_id, count(*)::int AS n FROM d GROUP BY room_id
       ), reserved AS (
         UPDATE rooms r SET last_seq = r.last_seq + n.n FROM n WHERE r.id = n.room_id
         RETURNING r.id, r.last_seq - n.n AS base
       ), ins AS (
         INSERT INTO messages AS m (room_id, seq, author_id, author_name, text, client_msg_id, reply_to, mentions, mentions_room,
                                    attachments)
         SELECT d.room_id, reserved.base + d.k, d.author_id, d.author_name, d.text, d.client_msg_id, d.reply_to,
                ${resolvedMentions('d.room_id', 'd.mention_names')}, d.mentions_room, ${attachmentsJson('d.attachment_ids')}
         FROM d JOIN reserved ON reserved.id = d.room_id
         RETURNING ${MESSAGE_COLUMNS}
       ), claimed AS (
         UPDATE attachments a SET room_id = ins.room_id, seq = ins.seq
         FROM ins CROSS JOIN LATERAL jsonb_array_elements(ins.attachments) AS e(attachment)
         WHERE a.id = e.attachment->>'id' AND a.owner_id = ins.author_id AND a.room_id IS NULL AND a.deleted_at IS NULL
         RETURNING a.id
       ), marks AS (
         UPDATE room_members rm SET last_read_seq = GREATEST(rm.last_read_seq, a.seq)
         FROM (SELECT room_id, author_id, max(seq) AS seq FROM ins GROUP BY room_id, author_id) a
         WHERE rm.room_id = a.room_id AND rm.user_id = a.author_id
       )
       SELECT ins.* FROM ins
       WHERE chat_assert((SELECT count(*) FROM reserved) = (SELECT count(*) FROM n), 'a room of this batch does not exist')
         AND chat_attachments_claimed((SELECT count(*) FROM claimed) =
               (SELECT count(*) FROM d CROSS JOIN LATERAL unnest(string_to_array(d.attachment_ids, ' ')) AS w(id)))`,
      [
        drafts.map((d) => d.roomId),
        ks,
        drafts.map((d) => d.authorId),
        drafts.map((d) => d.authorName),
        drafts.map((d) => d.text),
        drafts.map((d) => d.clientMsgId),
        drafts.map((d) => d.replyTo ?? null),
        fence?.shard ?? null,
        fence?.epoch ?? null,
        drafts.map((d) => mentionNames(d.mentions)),
        drafts.map((d) => d.mentions?.room ?? false),
        drafts.map((d) => attachmentIdList(d.attachmentIds)),
      ],
    );
    const byKey = new Map(rows.map((r) => [`${r.room_id}\u0000${r.client_msg_id}\u0000${r.author_id}`, toMessage(r)]));
    return drafts.map((d) => {
      const message = byKey.get(`${d.roomId}\u0000${d.clientMsgId}\u0000${d.authorId}`);
      if (!message) throw new Error(`room ${d.roomId} does not exist`);
      return message;
    });
  }
}

/** PostgreSQL's unique_violation: here, a (author, clientMsgId) that is already stored. */
const UNIQUE_VIOLATION = '23505';

function clientKey(authorId: string, clientMsgId: string): string {
  return `${authorId}\u0000${clientMsgId}`;
}
