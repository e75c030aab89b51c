import { isImageType } from './content-type';

/** What an attachment answer says about itself: the bytes' type, their length, and how to show them. */
export interface DownloadSubject {
  name: string;
  size: number;
  type: string;
}

/**
 * Headers of an attachment download. Images we recognised are shown inline; anything else
 * is a download. Whatever a file holds (HTML, SVG, script), it must never run as a page of
 * our origin: no sniffing, and a CSP that allows nothing and sandboxes the document.
 */
export function downloadHeaders(subject: DownloadSubject): Record<string, string> {
  return {
    'Content-Type': subject.type,
    'Content-Length': String(subject.size),
    'Content-Disposition': contentDisposition(isImageType(subject.type) ? 'inline' : 'attachment', subject.name),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    // Private data: caches may keep it for this user only.
    'Cache-Control': 'private, max-age=300',
  };
}

/**
 * RFC 6266: a plain-ASCII `filename` for old clients (anything else, quotes and backslashes
 * become `_`) and the real name as `filename*` (RFC 8187, UTF-8, percent-encoded).
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${rfc8187(name)}`;
}

// encodeURIComponent leaves ' ( ) * unescaped; RFC 8187's attr-char does not allow them.
function rfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
