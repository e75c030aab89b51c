/**
 * The user's query, read the way `websearch_to_tsquery` reads it: `"…"` is a phrase (an
 * unbalanced quote runs to the end), a token starting with `-` excludes, a bare `or` is an
 * operator, other punctuation separates words. Nothing here throws, whatever the input.
 */

/** The longest run of NOT operators accepted before they are read as plain separators. */
const MAX_NEGATIONS = 16;
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * The query as given to websearch_to_tsquery, minus the one input that makes it throw:
 * every `-` met while it waits for an operand is a NOT, and 32 nested NOTs overflow its
 * stack ("tsquery stack too small") — `-----…`, `- ! - ! …`. A run of `-` separated only by
 * non-word characters means what one `-` means here (exclude the next term), so it becomes
 * one; and past MAX_NEGATIONS the remaining operator dashes become spaces.
 */
export function safeWebsearch(query: string): string {
  const collapsed = query.replace(/-(?:[^\p{L}\p{N}"-]*-)+/gu, '-');
  let negations = 0;
  let out = '';
  for (let i = 0; i < collapsed.length; i++) {
    const ch = collapsed[i];
    // A dash inside a word (e-mail, well-known) is part of it, not an operator.
    const inWord = ch === '-' && i > 0 && WORD_CHAR.test(collapsed[i - 1]);
    if (ch === '-' && !inWord && ++negations > MAX_NEGATIONS) out += ' ';
    else out += ch;
  }
  return out;
}

/** What the approximate (trigram) branch of a search needs from the query. */
export interface FuzzyTerms {
  /**
   * Positive words outside phrases, lower-cased, ≥ 3 letters (shorter ones match almost
   * anything by trigrams), at most 8; each must approximately appear. Empty when the query
   * uses `or` (any-of cannot be served by one trigram index probe): no approximate branch.
   */
  words: string[];
  /** The query's positive phrases as a websearch query (`"a b" "c d"`): phrases stay exact. */
  phrases: string | null;
  /** The excluded terms as a positive websearch query (`"a b" or c`), refused in hits; null when none. */
  excluded: string | null;
}

const MIN_WORD = 3;
const MAX_WORDS = 8;
const MAX_TERMS = 16;
// A phrase (its closing quote optional) or a run of non-space characters, either negated by a leading '-'.
const TOKEN = /(-?)"([^"]*)"?|(-?)([^\s"]+)/g;
const WORD = /[\p{L}\p{N}]+/gu;

export function fuzzyTerms(query: string): FuzzyTerms {
  const words: string[] = [];
  const phrases: string[] = [];
  const excluded: string[] = [];
  let anyOf = false;
  for (const match of query.matchAll(TOKEN)) {
    const isPhrase = match[2] !== undefined;
    const negated = (isPhrase ? match[1] : match[3]) === '-';
    const body = (isPhrase ? match[2] : match[4]) ?? '';
    const parts = (body.match(WORD) ?? []).map((w) => w.toLowerCase());
    if (!isPhrase && !negated && body.toLowerCase() === 'or') anyOf = true;
    if (parts.length === 0 || (!isPhrase && !negated && body.toLowerCase() === 'or')) continue;
    const term = isPhrase || parts.length > 1 ? `"${parts.join(' ')}"` : parts[0];
    if (negated) {
      if (excluded.length < MAX_TERMS) excluded.push(term);
    } else if (isPhrase) {
      if (phrases.length < MAX_TERMS) phrases.push(term);
    } else {
      for (const w of parts) if (w.length >= MIN_WORD && !words.includes(w) && words.length < MAX_WORDS) words.push(w);
    }
  }
  return {
    words: anyOf ? [] : words,
    phrases: phrases.length > 0 ? phrases.join(' ') : null,
    excluded: excluded.length > 0 ? excluded.join(' or ') : null,
  };
}

/** The word the trigram index is asked for: the longest, whose trigrams are the most selective. */
export function anchorWord(words: readonly string[]): string {
  return words.reduce((a, b) => (b.length > a.length ? b : a), '');
}
