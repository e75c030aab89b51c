/**
 * What the approximate (trigram) branch of a search needs from the user's query, which the
 * full-text branch hands to `websearch_to_tsquery` as is. Read the way websearch_to_tsquery
 * reads it: `"…"` is a phrase (an unbalanced quote runs to the end), a token starting with
 * `-` excludes, a bare `or` is an operator. Never throws, whatever the input.
 */
export interface FuzzyTerms {
  /** Positive words, lower-cased, ≥ 3 letters (shorter ones match almost anything by trigrams), at most 8. */
  words: string[];
  /**
   * The excluded terms rewritten as a positive websearch query (`"a b" or c`), so that SQL
   * can refuse approximate hits that contain them; null when nothing is excluded.
   */
  excluded: string | null;
}

const MIN_WORD = 3;
const MAX_WORDS = 8;
const MAX_EXCLUDED = 16;
// A phrase (its closing quote optional) or a run of non-space characters, either negated by a leading '-'.
const TOKEN = /(-?)"([^"]*)"?|(-?)([^\s"]+)/g;
const WORD = /[\p{L}\p{N}]+/gu;

export function fuzzyTerms(query: string): FuzzyTerms {
  const words: string[] = [];
  const excluded: string[] = [];
  for (const match of query.matchAll(TOKEN)) {
    const negated = (match[1] ?? match[3]) === '-';
    const body = match[2] ?? match[4] ?? '';
    const isPhrase = match[2] !== undefined;
    const parts = (body.match(WORD) ?? []).map((w) => w.toLowerCase());
    if (parts.length === 0) continue;
    if (!isPhrase && !negated && body.toLowerCase() === 'or') continue;
    if (negated) {
      if (excluded.length < MAX_EXCLUDED) excluded.push(parts.length > 1 || isPhrase ? `"${parts.join(' ')}"` : parts[0]);
      continue;
    }
    for (const w of parts) if (w.length >= MIN_WORD && !words.includes(w) && words.length < MAX_WORDS) words.push(w);
  }
  return { words, excluded: excluded.length > 0 ? excluded.join(' or ') : null };
}

/** The word the trigram index is asked for: the longest, whose trigrams are the most selective. */
export function anchorWord(words: readonly string[]): string {
  return words.reduce((a, b) => (b.length > a.length ? b : a), '');
}
