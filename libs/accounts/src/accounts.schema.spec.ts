import { GuestLoginBody, LoginBody, RegisterBody } from './accounts.schema';

describe('accounts schemas', () => {
  it.each(['al', 'alice', 'A_b.c-9', 'x'.repeat(32)])('accepts the username %p', (username) => {
    expect(GuestLoginBody.parse({ username })).toEqual({ username });
  });

  it.each(['a', 'x'.repeat(33), 'with space', 'émile', 'semi;colon', '', 42, null, undefined])(
    'rejects the username %p',
    (username) => {
      expect(GuestLoginBody.safeParse({ username }).success).toBe(false);
    },
  );

  it('drops unknown fields', () => {
    expect(GuestLoginBody.parse({ username: 'alice', admin: true })).toEqual({ username: 'alice' });
  });

  it('wants a password of 8 to 200 characters to register', () => {
    expect(RegisterBody.safeParse({ username: 'alice', password: '1234567' }).success).toBe(false);
    expect(RegisterBody.safeParse({ username: 'alice', password: '12345678' }).success).toBe(true);
    expect(RegisterBody.safeParse({ username: 'alice', password: 'x'.repeat(200) }).success).toBe(true);
    expect(RegisterBody.safeParse({ username: 'alice', password: 'x'.repeat(201) }).success).toBe(false);
    expect(RegisterBody.safeParse({ username: 'alice' }).success).toBe(false);
  });

  it('only checks the shape of login credentials', () => {
    // A name or password that could never be registered is a wrong credential, decided later.
    expect(LoginBody.safeParse({ username: 'a', password: 'short' }).success).toBe(true);
    expect(LoginBody.safeParse({ username: '', password: 'whatever' }).success).toBe(false);
    expect(LoginBody.safeParse({ username: 'alice', password: '' }).success).toBe(false);
    expect(LoginBody.safeParse({ username: 'alice', password: 12345678 }).success).toBe(false);
  });
});
