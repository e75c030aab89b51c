import { Message } from '@chat/protocol';
import { MESSAGE_COLUMNS, MessageRow, Queryable, toMessage } from '@chat/store';
import { HEADLINE_OPTIONS, headlineResult, headlineSource } from './highlight';

/** A ranked match, before its message is read. */
export interface RankedHit {
  roomId: string;
  seq: number;
  score: number;
  /** Found by trigram similarity only: its highlight marks the words similar to the query's. */
  fuzzy: boolean;
}

export interface LoadedHit {
  message: Message;
  highlight: string;
  score: number;
}

/**
 * Reads the hits' messages from the system of record — current text, edit time, reactions —
 * in rank order, with their highlights. A hit whose message was deleted since the index saw
 * it (the index lags the events) is dropped here. Rows are built by the store's own mapper.
 */
export async function loadHits(
  q: Queryable,
  hits: readonly RankedHit[],
  query: string,
  fuzzyWords: readonly string[],
  threshold: number,
): Promise<LoadedHit[]> {
  if (hits.length === 0) return [];
  const headline = `ts_headline('simple', ${headlineSource('m.text')},
         CASE WHEN h.fuzzy THEN websearch_to_tsquery('simple', COALESCE((
                SELECT string_agg(l.lexeme, ' or ') FROM unnest(to_tsvector('simple', m.text)) l
                WHERE EXISTS (SELECT 1 FROM unnest($5::text[]) w WHERE word_similarity(w, l.lexeme) >= $6)), ''))
              ELSE websearch_to_tsquery('simple', $4) END,
         '${HEADLINE_OPTIONS}')`;
  const rows = await q.query<MessageRow & { ord: number; highlight: string | null }>(
    `SELECT ${MESSAGE_COLUMNS}, h.ord,
       ${headlineResult(headline)} AS highlight
     FROM unnest($1::text[], $2::int[], $3::bool[]) WITH ORDINALITY AS h(room_id, seq, fuzzy, ord)
     JOIN messages m ON m.room_id = h.room_id AND m.seq = h.seq AND m.deleted_at IS NULL
     ORDER BY h.ord`,
    [hits.map((h) => h.roomId), hits.map((h) => h.seq), hits.map((h) => h.fuzzy), query, fuzzyWords, threshold],
  );
  const messages = await withReactions(
    q,
    rows.map((r) => toMessage(r)),
  );
  return rows.map((r, i) => ({ message: messages[i], highlight: r.highlight ?? '', score: hits[Number(r.ord) - 1].score }));
}

/** Fills `reactions` of messages from any rooms: one grouped query, emojis in order of first use. */
async function withReactions(q: Queryable, messages: Message[]): Promise<Message[]> {
  if (messages.length === 0) return messages;
  const rows = await q.query<{ room_id: string; seq: number; emoji: string; user_ids: string[] }>(
    `SELECT r.room_id, r.seq, r.emoji, array_agg(r.user_id ORDER BY r.created_at, r.user_id) AS user_ids
     FROM reactions r JOIN unnest($1::text[], $2::int[]) AS k(room_id, seq) ON r.room_id = k.room_id AND r.seq = k.seq
     GROUP BY r.room_id, r.seq, r.emoji ORDER BY min(r.created_at), r.emoji`,
    [messages.map((m) => m.roomId), messages.map((m) => m.seq)],
  );
  const byKey = new Map(messages.map((m) => [`${m.roomId}\u0000${m.seq}`, m]));
  for (const r of rows) byKey.get(`${r.room_id}\u0000${Number(r.seq)}`)?.reactions.push({ emoji: r.emoji, count: r.user_ids.length, userIds: r.user_ids });
  return messages;
}
