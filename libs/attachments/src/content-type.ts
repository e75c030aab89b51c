/**
 * The content type of an upload, from its bytes (magic numbers), never from its name or the
 * client's Content-Type: what we serve must be what the file is. Binary formats are told by
 * their first bytes; text is what is left when the whole file is UTF-8 without binary control
 * characters (Utf8TextDetector); anything else is application/octet-stream.
 */
export const ContentType = {
  PNG: 'image/png',
  JPEG: 'image/jpeg',
  GIF: 'image/gif',
  WEBP: 'image/webp',
  PDF: 'application/pdf',
  ZIP: 'application/zip',
  TEXT: 'text/plain; charset=utf-8',
  BINARY: 'application/octet-stream',
} as const;

/** Bytes of the file's start kept for sniffing and image headers (a JPEG's EXIF may precede its size). */
export const HEAD_BYTES = 256 * 1024;

const startsWith = (head: Buffer, signature: number[] | string, at = 0): boolean => {
  const bytes = typeof signature === 'string' ? Buffer.from(signature, 'latin1') : Buffer.from(signature);
  return head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes);
};

/** The type of a binary format recognised by its first bytes, or undefined. */
export function sniffBinaryType(head: Buffer): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return ContentType.PNG;
  if (startsWith(head, [0xff, 0xd8, 0xff])) return ContentType.JPEG;
  if (startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a')) return ContentType.GIF;
  if (startsWith(head, 'RIFF') && startsWith(head, 'WEBP', 8)) return ContentType.WEBP;
  if (startsWith(head, '%PDF-')) return ContentType.PDF;
  // Local file header, or the end record of an empty archive.
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return ContentType.ZIP;
  return undefined;
}

export const isImageType = (type: string): boolean =>
  type === ContentType.PNG || type === ContentType.JPEG || type === ContentType.GIF || type === ContentType.WEBP;
