import { isAdminToken } from './admin-token';

const TOKEN = 'an-admin-token-of-enough-length';

describe('isAdminToken', () => {
  it('accepts exactly Bearer <token>', () => {
    expect(isAdminToken(TOKEN, `Bearer ${TOKEN}`)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['another token', 'Bearer an-admin-token-of-enough-lengtH'],
    ['a prefix of it', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token without Bearer', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
    ['an empty bearer', 'Bearer '],
    ['a repeated header', [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]],
  ])('refuses %s', (_name, header) => {
    expect(isAdminToken(TOKEN, header)).toBe(false);
  });
});
