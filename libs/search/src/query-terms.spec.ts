import { anchorWord, fuzzyTerms, safeWebsearch } from './query-terms';

describe('fuzzyTerms', () => {
  it('takes positive words of 3+ letters, lower-cased, once each', () => {
    expect(fuzzyTerms('Deploy on FRIDAY, deploy!')).toEqual({ words: ['deploy', 'friday'], phrases: null, excluded: null });
  });

  it('keeps phrases exact and rewrites exclusions as a positive query', () => {
    expect(fuzzyTerms('"Quick  brown" fox -dog -"lazy cat" -')).toEqual({ words: ['fox'], phrases: '"quick brown"', excluded: 'dog or "lazy cat"' });
  });

  it('reads an unbalanced quote as a phrase to the end', () => {
    expect(fuzzyTerms('fox "quick brown')).toEqual({ words: ['fox'], phrases: '"quick brown"', excluded: null });
  });

  it('has no approximate words for `or` queries', () => {
    expect(fuzzyTerms('foxx OR dogg').words).toEqual([]);
  });

  it('never yields anything but letters and digits in words', () => {
    for (const q of ['&|!:*()\\\'"', 'a:* & b', '«x»', '-'.repeat(50), '😀 ok']) {
      for (const w of fuzzyTerms(q).words) expect(w).toMatch(/^[\p{L}\p{N}]+$/u);
    }
  });

  it('anchors on the longest word', () => {
    expect(anchorWord(['abc', 'abcdef', 'abcd'])).toBe('abcdef');
  });
});

describe('safeWebsearch', () => {
  it('leaves ordinary queries alone, including dashes inside words', () => {
    for (const q of ['hello world', '"a phrase" -excluded or other', 'well-known e-mail', 'a - b']) expect(safeWebsearch(q)).toBe(q);
  });

  it('collapses a run of negations into one', () => {
    expect(safeWebsearch('--x')).toBe('-x');
    expect(safeWebsearch('- ! - & -x')).toBe('-x');
  });

  it('caps the number of negations, whatever separates them', () => {
    const out = safeWebsearch('-a '.repeat(40));
    expect(out.match(/(^|[^\p{L}\p{N}])-/gu)!.length).toBeLessThanOrEqual(16);
  });
});
