import { ChatError, ErrorCode } from '@chat/protocol';
import { Database, Queryable } from '@chat/store';
import { LoadedHit, RankedHit, loadHits } from './hit-messages';
import { FuzzyTerms, anchorWord, fuzzyTerms, safeWebsearch } from './query-terms';

export interface SearchRequest {
  /** websearch syntax: words (all required), "a phrase", `or`, `-excluded`. */
  query: string;
  roomId?: string;
  authorId?: string;
  /** ISO-8601: only messages created strictly before / after. */
  before?: string;
  after?: string;
  /** 1..50, default 20. */
  limit?: number;
}

export type SearchHit = LoadedHit;

export interface SearchResult {
  hits: SearchHit[];
}

export interface SearchQueriesOptions {
  /** word_similarity a query word needs with some part of a message (0..1, default 0.5). */
  fuzzyThreshold?: number;
}

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 50;
const MAX_QUERY_LENGTH = 500;

/**
 * Search over the messages of the rooms the user is a member of NOW (room_members is joined
 * in every query, so leaving a room hides it at once and a private room's text never
 * reaches a non-member, whatever the filters). A `roomId` the user is not in yields no hits
 * rather than FORBIDDEN: the answer says nothing about whether the room exists.
 *
 * Two branches, ranked as one list:
 * 1. Full text: `websearch_to_tsquery('simple', query)` against the generated tsvector.
 *    score = 1 + ts_rank (length-normalized, scaled into 0..1), so ≥ 1.
 * 2. Approximate, so one wrong letter still finds a word: every positive query word (≥ 3
 *    letters, outside phrases) must have word_similarity ≥ the threshold with the text
 *    (pg_trgm `<%`, served by the trigram index); phrases must match exactly and excluded
 *    terms must be absent. score = the mean similarity, below 1. Not for `or` queries. It runs only when the first branch found fewer than `limit` hits,
 *    since its hits always rank after every full-text hit — the common case costs one query.
 * Within a branch: score (rounded to 3 decimals) descending, then newest first.
 * Never throws on the query's text: websearch_to_tsquery accepts any string but runs of
 * 32+ negations, which safeWebsearch defuses; the trigram words are letters and digits.
 */
export class SearchQueries {
  private readonly threshold: number;

  constructor(
    private readonly db: Database,
    { fuzzyThreshold = 0.5 }: SearchQueriesOptions = {},
  ) {
    this.threshold = fuzzyThreshold;
  }

  async search(userId: string, request: SearchRequest): Promise<SearchResult> {
    // NUL cannot be sent to PostgreSQL in text; the protocol already refuses it.
    const text = request.query.replace(/\u0000/g, ' ').trim().slice(0, MAX_QUERY_LENGTH);
    if (text.length === 0) return { hits: [] };
    const query = safeWebsearch(text);
    const limit = Math.min(Math.max(Math.trunc(request.limit ?? DEFAULT_SEARCH_LIMIT), 1), MAX_SEARCH_LIMIT);
    const filters = {
      roomId: request.roomId ?? null,
      authorId: request.authorId ?? null,
      before: timeParam(request.before, 'before'),
      after: timeParam(request.after, 'after'),
    };
    const terms = fuzzyTerms(text);

    return this.db.transaction(async (tx) => {
      // The filters are optional parameters (`$3 IS NULL OR room_id = $3`): a plan made for
      // unknown values cannot use them, so every search is planned for its own values.
      await tx.query(`SELECT set_config('plan_cache_mode', 'force_custom_plan', true)`);
      const hits = await this.fullText(tx, userId, query, filters, limit);
      if (hits.length < limit && terms.words.length > 0) {
        hits.push(...(await this.approximate(tx, userId, query, terms, filters, limit - hits.length)));
      }
      return { hits: await loadHits(tx, hits, query, terms.words, this.threshold) };
    });
  }

  private async fullText(q: Queryable, userId: string, query: string, f: Filters, limit: number): Promise<RankedHit[]> {
    const rows = await q.query<HitRow>(
      `SELECT s.room_id, s.seq, round((1 + ts_rank(s.tsv, websearch_to_tsquery('simple', $2), 1|32))::numeric, 3)::float8 AS score
       FROM search_messages s
       JOIN room_members rm ON rm.room_id = s.room_id AND rm.user_id = $1
       WHERE s.tsv @@ websearch_to_tsquery('simple', $2) AND NOT s.deleted
         AND ($3::text IS NULL OR s.room_id = $3) AND ($4::text IS NULL OR s.author_id = $4)
         AND ($5::timestamptz IS NULL OR s.created_at < $5) AND ($6::timestamptz IS NULL OR s.created_at > $6)
       ORDER BY score DESC, s.created_at DESC, s.seq DESC, s.room_id
       LIMIT $7`,
      [userId, query, f.roomId, f.authorId, f.before, f.after, limit],
    );
    return rows.map((r) => ({ roomId: r.room_id, seq: Number(r.seq), score: Number(r.score), fuzzy: false }));
  }

  private async approximate(
    q: Queryable,
    userId: string,
    query: string,
    { words, phrases, excluded }: FuzzyTerms,
    f: Filters,
    limit: number,
  ): Promise<RankedHit[]> {
    // `<%` compares with this setting; SET LOCAL scope: this transaction only.
    await q.query(`SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)`, [String(this.threshold)]);
    const rows = await q.query<HitRow>(
      `SELECT s.room_id, s.seq,
         round(LEAST((SELECT avg(word_similarity(w, s.text)) FROM unnest($2::text[]) w), 0.999)::numeric, 3)::float8 AS score
       FROM search_messages s
       JOIN room_members rm ON rm.room_id = s.room_id AND rm.user_id = $1
       WHERE $3 <% s.text AND NOT s.deleted
         AND (SELECT bool_and(w <% s.text) FROM unnest($2::text[]) w)
         AND NOT s.tsv @@ websearch_to_tsquery('simple', $4)
         AND ($5::text IS NULL OR NOT s.tsv @@ websearch_to_tsquery('simple', $5))
         AND ($6::text IS NULL OR s.tsv @@ websearch_to_tsquery('simple', $6))
         AND ($7::text IS NULL OR s.room_id = $7) AND ($8::text IS NULL OR s.author_id = $8)
         AND ($9::timestamptz IS NULL OR s.created_at < $9) AND ($10::timestamptz IS NULL OR s.created_at > $10)
       ORDER BY score DESC, s.created_at DESC, s.seq DESC, s.room_id
       LIMIT $11`,
      [userId, words, anchorWord(words), query, excluded, phrases, f.roomId, f.authorId, f.before, f.after, limit],
    );
    return rows.map((r) => ({ roomId: r.room_id, seq: Number(r.seq), score: Number(r.score), fuzzy: true }));
  }
}

interface Filters {
  roomId: string | null;
  authorId: string | null;
  before: string | null;
  after: string | null;
}

interface HitRow {
  room_id: string;
  seq: number;
  score: number;
}

/** An ISO time for a timestamptz parameter; a value that is not a time is the caller's error. */
function timeParam(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ChatError(ErrorCode.BAD_REQUEST, `${name} is not an ISO-8601 time`);
  return new Date(ms).toISOString();
}
