import { ErrorCode } from '@chat/protocol';
import { SignJWT } from 'jose';
import { SessionAuthenticator } from './session-authenticator';
import { TokenService } from '@chat/auth';
import { codeOf } from '../../../test/support/fakes';

const SECRET = 'unit-test-secret-0123456789-0123456789';
const alice = { id: 'ualice', username: 'alice' };


describe('SessionAuthenticator', () => {
  const tokens = new TokenService(SECRET, 3600);
  let revokedBefore: number;
  const sessions = new SessionAuthenticator(tokens, { revokedBefore: async () => revokedBefore });
  const bearer = (token: string) => `Bearer ${token}`;
  beforeEach(() => (revokedBefore = 0));

  it('takes a token it signed', async () => {
    expect(await sessions.userOf(bearer(await tokens.sign(alice)))).toEqual(alice);
  });

  it('refuses a token without exp, and an expired one', async () => {
    const key = new TextEncoder().encode(SECRET);
    const forever = await new SignJWT({ username: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ualice').setIssuedAt().sign(key);
    expect(await codeOf(sessions.userOf(bearer(forever)))).toBe(ErrorCode.UNAUTHORIZED);
    const expired = await tokens.sign(alice, Date.now() - 3601_000);
    expect(await codeOf(sessions.userOf(bearer(expired)))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('refuses tokens issued before the revocation, even in the same second, and takes later ones', async () => {
    // A revocation in the middle of a second: a token from earlier in that second is void,
    // one from later in it is valid, though both have the same iat (seconds).
    const second = Math.floor(Date.now() / 1000) * 1000;
    revokedBefore = second + 500;
    const before = await tokens.sign(alice, second + 200);
    const after = await tokens.sign(alice, second + 700);
    expect(await codeOf(sessions.userOf(bearer(before)))).toBe(ErrorCode.UNAUTHORIZED);
    expect(await sessions.userOf(bearer(after))).toEqual(alice);
  });

  it('reads the issue time from iat when iatMs is absent or does not match iat', async () => {
    const key = new TextEncoder().encode(SECRET);
    const second = Math.floor(Date.now() / 1000);
    revokedBefore = second * 1000 + 500;
    const plain = await new SignJWT({ username: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ualice')
      .setIssuedAt(second)
      .setExpirationTime(second + 60)
      .sign(key);
    expect(await codeOf(sessions.userOf(bearer(plain)))).toBe(ErrorCode.UNAUTHORIZED);
    // A claimed iatMs far from iat is not believed.
    const lying = await new SignJWT({ username: 'alice', iatMs: (second + 30) * 1000 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ualice')
      .setIssuedAt(second)
      .setExpirationTime(second + 60)
      .sign(key);
    expect(await codeOf(sessions.userOf(bearer(lying)))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('refuses a missing header and a forged token', async () => {
    expect(await codeOf(sessions.userOf(undefined))).toBe(ErrorCode.UNAUTHORIZED);
    const forged = await new TokenService('another-secret-0123456789-0123456789', 3600).sign(alice);
    expect(await codeOf(sessions.userOf(bearer(forged)))).toBe(ErrorCode.UNAUTHORIZED);
  });
});
