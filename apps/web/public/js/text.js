// A message's text as DOM nodes: a small, safe markdown subset — ```code blocks```, `inline
// code`, **bold**, *italic* / _italic_ — plus clickable http(s) links and highlighted
// @mentions. Everything is built with createElement and text nodes: the text is never parsed
// as HTML, so `<img onerror=…>` stays text, and only http/https URLs ever become links.

const INLINE =
  /(?<code>`[^`\n]+`)|(?<bold>\*\*(?=\S)[^\n]*?\S\*\*)|(?<italic>(?<![\w*])\*(?=[^\s*])[^*\n]*?[^\s*]\*(?![\w*])|(?<![\w])_(?=\S)[^_\n]*?\S_(?!\w))|(?<url>\bhttps?:\/\/[^\s<>"'`]+)|(?<mention>(?<![A-Za-z0-9._@-])@[A-Za-z0-9_.-]{2,32})/g;
const FENCE = /```(?:[A-Za-z0-9_+-]*\n)?([\s\S]*?)```/g;

/** An http(s) URL as a link, or null (anything else — javascript:, data:, … — stays text). */
export function safeLink(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const a = document.createElement('a');
  a.href = url.href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = raw;
  return a;
}

/** A URL's end that is more likely the sentence's: trailing punctuation, an unbalanced `)`. */
function trimUrl(raw) {
  let url = raw.replace(/[.,;:!?]+$/, '');
  while (url.endsWith(')') && (url.match(/\(/g) ?? []).length < (url.match(/\)/g) ?? []).length) url = url.slice(0, -1);
  return url;
}

function el(tag, className, children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

/**
 * @param {string} text
 * @param {{mentioned: Set<string>, mentionsRoom: boolean, me?: string}} ctx lower-cased names
 *   the server found mentioned (Message.mentions), whether `@room` counts, my own name
 */
function inline(text, ctx) {
  const out = [];
  let last = 0;
  // A regex of its own per call: calls nest (bold, italic) and each moves its own lastIndex.
  const re = new RegExp(INLINE.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const g = m.groups;
    let end = m.index + m[0].length;
    let node = null;
    if (g.code) node = el('code', '', [g.code.slice(1, -1)]);
    else if (g.bold) node = el('strong', '', inline(g.bold.slice(2, -2), ctx));
    else if (g.italic) node = el('em', '', inline(g.italic.slice(1, -1), ctx));
    else if (g.url) {
      const url = trimUrl(g.url);
      end = m.index + url.length;
      node = safeLink(url);
    } else if (g.mention) {
      const name = g.mention.slice(1).replace(/\.+$/, '');
      const lower = name.toLowerCase();
      if ((lower === 'room' && ctx.mentionsRoom) || ctx.mentioned.has(lower)) {
        end = m.index + name.length + 1;
        node = el('span', `mention${lower === ctx.me || lower === 'room' ? ' mention-self' : ''}`, [`@${name}`]);
      }
    }
    if (!node) continue;
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(node);
    last = end;
    re.lastIndex = end; // a URL's trimmed tail, or a mention's final dot, is read again as text
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The nodes of a message's text (strings are text nodes when appended). */
export function renderText(text, ctx) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(new RegExp(FENCE.source, 'g'))) {
    if (m.index > last) out.push(...inline(text.slice(last, m.index), ctx));
    out.push(el('pre', 'code-block', [el('code', '', [m[1].replace(/\n$/, '')])]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(...inline(text.slice(last), ctx));
  return out;
}
