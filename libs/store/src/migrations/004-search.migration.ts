/**
 * The search read model (libs/search), in the system of record's database so queries can
 * join room membership at query time. It is fed by `chat:events` (and rebuilt from
 * `messages` by reindex), so it may lag and is written out of order: rows carry their
 * version (edited_at, else created_at) and a deletion leaves a tombstone row (deleted, text
 * emptied) so a late created/updated event for the same (room, seq) cannot resurrect it.
 *
 * `tsv` is generated from `text` with the 'simple' configuration (lower-cased words, no
 * stemming, no stop words): chat is multilingual and full of names, code and short words
 * that an English stemmer mangles or drops ("it", "to be", "running" ≠ "run" is fine since
 * trigram matching catches prefixes). Generated, so every writer — events, reindex, bulk
 * loads — gets the same vector and none can forget it.
 *
 * No foreign keys: events may name rooms the index has not seen and rows of a deleted room
 * are harmless (queries join room_members and messages). pg_trgm is trusted (PostgreSQL 13+),
 * so the database owner can create it; PGlite loads it as an extension module.
 */
export const up = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE search_messages (
  room_id     text NOT NULL,
  seq         integer NOT NULL,
  message_id  text NOT NULL,
  author_id   text,
  author_name text,
  text        text NOT NULL DEFAULT '',
  created_at  timestamptz,
  edited_at   timestamptz,
  deleted     boolean NOT NULL DEFAULT false,
  tsv         tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
  PRIMARY KEY (room_id, seq),
  CHECK (deleted OR (author_id IS NOT NULL AND created_at IS NOT NULL))
);
CREATE INDEX search_messages_tsv ON search_messages USING gin (tsv);
CREATE INDEX search_messages_trgm ON search_messages USING gin (text gin_trgm_ops);
CREATE INDEX search_messages_author ON search_messages (author_id, created_at) WHERE NOT deleted
`;
