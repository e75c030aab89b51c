/** Longest file name kept, in characters (code points). */
export const MAX_FILE_NAME_LENGTH = 200;
const FALLBACK = 'file';
// Control characters (C0, DEL, C1) and bidi controls, which can make "gnp.exe" read as "exe.png".
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const EXTENSION = /\.[^.\s]{1,16}$/u;

/**
 * The name an upload is kept and offered under: the client's name without any directory
 * part (either slash), without control or bidi characters, NFC, trimmed, at most 200
 * characters — cut in the middle so the extension stays. "file" when nothing is left.
 */
export function sanitizeFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const name = base.normalize('NFC').replace(UNSAFE, '').trim();
  if (name === '' || name === '.' || name === '..') return FALLBACK;
  const chars = Array.from(name);
  if (chars.length <= MAX_FILE_NAME_LENGTH) return name;
  const extension = Array.from(EXTENSION.exec(name)?.[0] ?? '');
  return chars.slice(0, MAX_FILE_NAME_LENGTH - extension.length).join('').trimEnd() + extension.join('');
}
