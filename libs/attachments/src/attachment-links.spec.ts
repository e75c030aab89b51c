import { AttachmentLinks } from './attachment-links';

describe('AttachmentLinks', () => {
  const links = new AttachmentLinks('s'.repeat(48), 60_000);
  const NOW = Date.parse('2026-12-03T10:00:00Z');

  function queryOf(url: string) {
    const q = new URL(url, 'http://x').searchParams;
    return { user: q.get('user')!, expires: Number(q.get('expires')), sig: q.get('sig')! };
  }

  it('issues a link for one user and attachment that verifies until it expires', () => {
    const { url, expiresAt } = links.issue('fabc', 'ualice', NOW);
    expect(url).toMatch(/^\/api\/attachments\/fabc\?user=ualice&expires=\d+&sig=[\w-]+$/);
    expect(expiresAt).toBe('2026-12-03T10:01:00.000Z');
    expect(links.verify('fabc', queryOf(url), NOW + 59_000)).toBe('ualice');
    expect(() => links.verify('fabc', queryOf(url), NOW + 60_000)).toThrow('attachment link expired');
  });

  it('refuses a link moved to another attachment or user, a changed expiry, or another secret', () => {
    const q = queryOf(links.issue('fabc', 'ualice', NOW).url);
    expect(() => links.verify('fother', q, NOW)).toThrow('bad attachment link signature');
    expect(() => links.verify('fabc', { ...q, user: 'ubob' }, NOW)).toThrow('bad attachment link signature');
    expect(() => links.verify('fabc', { ...q, expires: q.expires + 3600 }, NOW)).toThrow('bad attachment link signature');
    expect(() => new AttachmentLinks('t'.repeat(48), 60_000).verify('fabc', q, NOW)).toThrow('bad attachment link signature');
    expect(() => links.verify('fabc', { ...q, sig: 'short' }, NOW)).toThrow('bad attachment link signature');
  });
});
