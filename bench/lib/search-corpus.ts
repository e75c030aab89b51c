/**
 * A synthetic chat corpus for the search bench, generated inside PostgreSQL (INSERT … SELECT
 * generate_series) so a million messages load in seconds: a vocabulary of pronounceable words
 * drawn with a skew (a few common words, a long tail), 4–10 words per message, every text
 * different, rooms of equal size, one reader who is a member of a few rooms.
 */
import { Database } from '@chat/store';

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

/** `count` distinct words of 2–3 syllables, the same on every run. */
export function vocabulary(count: number): string[] {
  const words = new Set<string>();
  let seed = 12345;
  const next = (n: number) => {
    // 32-bit LCG in integer arithmetic (a plain multiply would lose the low bits in a double).
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) % n;
  };
  while (words.size < count) {
    let w = '';
    const syllables = 2 + next(2);
    for (let i = 0; i < syllables; i++) w += CONSONANTS[next(CONSONANTS.length)] + VOWELS[next(VOWELS.length)];
    if (next(3) === 0) w += CONSONANTS[next(CONSONANTS.length)];
    words.add(w);
  }
  return [...words];
}

export interface Corpus {
  readerId: string;
  readerRooms: string[];
  rooms: number;
  messages: number;
}

export const roomId = (i: number) => `r${String(i).padStart(5, '0')}`;

/**
 * Loads users, rooms, the reader's memberships and `messages` rows. Word i of a message is
 * vocab[floor(V · x²)] with x pseudo-random in [0, 1): low indices (common words) dominate.
 */
export async function loadCorpus(db: Database, opts: { messages: number; rooms: number; readerRooms: number; vocab: string[] }): Promise<Corpus> {
  const perRoom = Math.ceil(opts.messages / opts.rooms);
  await db.query(`INSERT INTO users (id, username) SELECT 'u' || g, 'user' || g FROM generate_series(0, 199) g`);
  await db.query(
    `INSERT INTO rooms (id, name, kind, created_by, last_seq, member_count)
     SELECT 'r' || lpad(g::text, 5, '0'), 'room ' || g, 'public', 'u0', $1, 1 FROM generate_series(0, $2 - 1) g`,
    [perRoom, opts.rooms],
  );
  const stride = Math.floor(opts.rooms / opts.readerRooms);
  const readerRooms = Array.from({ length: opts.readerRooms }, (_, i) => roomId(i * stride));
  await db.query(`INSERT INTO room_members (room_id, user_id, role) SELECT unnest($1::text[]), 'u0', 'member'`, [readerRooms]);
  const word = (k: number) => `($1::text[])[1 + floor($2 * power(((g * ${k * 7919 + 104729}::bigint + ${k * 31}) % 100003) / 100003.0, 2))::int]`;
  const optional = (k: number, every: number) => `CASE WHEN g % ${every} <> 0 THEN ${word(k)} END`;
  await db.query(
    `INSERT INTO messages (room_id, seq, author_id, author_name, text, created_at)
     SELECT 'r' || lpad((g % $3)::text, 5, '0'), g / $3 + 1, 'u' || (g % 200), 'user' || (g % 200),
            concat_ws(' ', ${[1, 2, 3, 4].map(word).join(', ')}, ${optional(5, 2)}, ${optional(6, 3)}, ${optional(7, 5)},
                      ${optional(8, 7)}, ${optional(9, 11)}, ${optional(10, 13)}),
            now() - make_interval(secs => ($4 - g))
     FROM generate_series(0, $4 - 1) g`,
    [opts.vocab, opts.vocab.length, opts.rooms, opts.messages],
  );
  return { readerId: 'u0', readerRooms, rooms: opts.rooms, messages: opts.messages };
}
