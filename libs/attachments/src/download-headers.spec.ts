import { ContentType } from './content-type';
import { contentDisposition, downloadHeaders } from './download-headers';

describe('download headers', () => {
  it('shows recognised images inline and offers everything else as a download', () => {
    expect(downloadHeaders({ name: 'a.png', size: 10, type: ContentType.PNG })).toEqual({
      'Content-Type': 'image/png',
      'Content-Length': '10',
      'Content-Disposition': `inline; filename="a.png"; filename*=UTF-8''a.png`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=300',
    });
    expect(downloadHeaders({ name: 'x.html', size: 3, type: ContentType.TEXT })['Content-Disposition']).toMatch(/^attachment;/);
    expect(downloadHeaders({ name: 'x.pdf', size: 3, type: ContentType.PDF })['Content-Disposition']).toMatch(/^attachment;/);
  });

  it('writes an ASCII fallback and the UTF-8 name per RFC 6266/8187, quotes and all', () => {
    expect(contentDisposition('attachment', `résumé "v2" 100%'s (1)*.pdf`)).toBe(
      `attachment; filename="r_sum_ _v2_ 100_'s (1)*.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22%20100%25%27s%20%281%29%2A.pdf`,
    );
    expect(contentDisposition('inline', 'a\\b;c.png')).toBe(`inline; filename="a_b;c.png"; filename*=UTF-8''a%5Cb%3Bc.png`);
  });
});
