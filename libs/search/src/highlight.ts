/**
 * Highlight markers. A hit's `highlight` is a PLAIN-TEXT snippet of the message (not HTML,
 * not escaped: render it as text, e.g. split on the markers and put the marked parts in
 * <mark> elements built with textContent). Matched words are wrapped in « and » (U+00AB,
 * U+00BB); the message's own « » are shown as ‹ › (U+2039, U+203A) in the snippet, so every
 * « » in a highlight is a marker. Fragments of a long message are joined with " … ".
 * (ts_headline ends a fragment on a word: punctuation after the last word of a fragment,
 * a final "." or ">", is not in the snippet.)
 */
export const HIGHLIGHT_START = '«';
export const HIGHLIGHT_STOP = '»';
export const FRAGMENT_DELIMITER = ' … ';

/** ts_headline options (a SQL literal: fixed, no user input). */
export const HEADLINE_OPTIONS = `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_STOP}, MaxWords=35, MinWords=15, ShortWord=0, MaxFragments=2, FragmentDelimiter="${FRAGMENT_DELIMITER}"`;

/**
 * `<` and `>` stand in for these private-use characters while ts_headline runs: its parser
 * takes `<b>` for an HTML tag and leaves it out of the snippet, so "crossed <b>here</b>"
 * came back as "crossed here". Swapped back afterwards, the snippet shows the text as written.
 */
const LT_STAND_IN = '\uE000';
const GT_STAND_IN = '\uE001';

/** SQL expression: the text given to ts_headline, with the message's own markers and angle brackets swapped out. */
export function headlineSource(column: string): string {
  const markersOut = `replace(replace(${column}, '${HIGHLIGHT_START}', '‹'), '${HIGHLIGHT_STOP}', '›')`;
  return `replace(replace(${markersOut}, '<', '${LT_STAND_IN}'), '>', '${GT_STAND_IN}')`;
}

/** SQL expression: ts_headline's snippet with the angle brackets of the text back in place. */
export function headlineResult(headline: string): string {
  return `replace(replace(${headline}, '${LT_STAND_IN}', '<'), '${GT_STAND_IN}', '>')`;
}
