import { MAX_FILE_NAME_LENGTH, sanitizeFileName } from './file-name';

describe('sanitizeFileName', () => {
  it('keeps an ordinary name, in NFC', () => {
    expect(sanitizeFileName('report 2026 (final).pdf')).toBe('report 2026 (final).pdf');
    expect(sanitizeFileName('cafe\u0301.txt')).toBe('caf\u00e9.txt');
  });

  it('drops any directory part, with either slash', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\bob\\photo.png')).toBe('photo.png');
    expect(sanitizeFileName('dir/')).toBe('file');
    expect(sanitizeFileName('..')).toBe('file');
  });

  it('removes control and bidi characters', () => {
    expect(sanitizeFileName('a\u0000b\nc\u007f\u009b.txt')).toBe('abc.txt');
    expect(sanitizeFileName('invoice\u202egnp.exe')).toBe('invoicegnp.exe');
  });

  it('falls back to "file" when nothing is left', () => {
    expect(sanitizeFileName(undefined)).toBe('file');
    expect(sanitizeFileName('  \u0001 ')).toBe('file');
  });

  it('cuts long names to 200 characters and keeps the extension', () => {
    const cut = sanitizeFileName(`${'a'.repeat(300)}.jpeg`);
    expect(Array.from(cut)).toHaveLength(MAX_FILE_NAME_LENGTH);
    expect(cut.endsWith('a.jpeg')).toBe(true);
    // Characters, not UTF-16 units: an emoji is never split in half.
    const emoji = sanitizeFileName('😀'.repeat(250));
    expect(Array.from(emoji)).toHaveLength(MAX_FILE_NAME_LENGTH);
    expect(emoji).toBe('😀'.repeat(200));
  });
});
