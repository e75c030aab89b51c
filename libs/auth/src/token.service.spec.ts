import { createHmac } from 'node:crypto';
import { ChatError } from '@chat/protocol';
import { TokenService } from './token.service';

const SECRET = 'a-test-secret-of-enough-length';
const alice = { id: 'u-alice', username: 'alice' };

/** Builds an HS256 token by hand, to forge the cases jose would never sign. */
function handMade(header: object, payload: object, secret = SECRET): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc(header)}.${enc(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('TokenService', () => {
  const tokens = new TokenService(SECRET, 3600);

  it('signs a token that both verify and verifySync accept', async () => {
    const token = await tokens.sign(alice);
    await expect(tokens.verify(token)).resolves.toEqual(alice);
    expect(tokens.verifySync(token)).toEqual(alice);
  });

  it.each([
    ['garbage', () => 'not-a-jwt'],
    ['another secret', () => handMade({ alg: 'HS256' }, { sub: alice.id, username: 'alice' }, 'some-other-secret-entirely')],
    ['a tampered payload', async () => {
      const [h, , s] = (await tokens.sign(alice)).split('.');
      return `${h}.${Buffer.from(JSON.stringify({ sub: 'u-mallory', username: 'mallory' })).toString('base64url')}.${s}`;
    }],
    ['alg none', () => handMade({ alg: 'none' }, { sub: alice.id, username: 'alice' })],
    ['an expired token', () => handMade({ alg: 'HS256' }, { sub: alice.id, username: 'alice', exp: Math.floor(Date.now() / 1000) - 1 })],
    ['a token not valid yet', () =>
      handMade({ alg: 'HS256' }, { sub: alice.id, username: 'alice', nbf: Math.floor(Date.now() / 1000) + 60, exp: Math.floor(Date.now() / 1000) + 120 })],
    ['missing claims', () => handMade({ alg: 'HS256' }, { sub: alice.id, exp: Math.floor(Date.now() / 1000) + 60 })],
    ['a token without exp (it would never expire)', () => handMade({ alg: 'HS256' }, { sub: alice.id, username: 'alice' })],
  ])('rejects %s with UNAUTHORIZED, sync and async alike', async (_case, make) => {
    const token = await make();
    expect(() => tokens.verifySync(token)).toThrow(ChatError);
    expect(() => tokens.verifySync(token)).toThrow(/invalid token/);
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('tells a session when its token was issued and when it expires', async () => {
    const before = Math.floor(Date.now() / 1000);
    const session = tokens.verifySession(await tokens.sign(alice));
    expect(session.user).toEqual(alice);
    expect(session.issuedAtMs).toBeGreaterThanOrEqual(before * 1000);
    expect(session.expiresAt).toBe(Math.floor(session.issuedAtMs / 1000) + 3600);
  });

  it('verifySession refuses what verifySync refuses', () => {
    const noExp = handMade({ alg: 'HS256' }, { sub: alice.id, username: 'alice', iat: 1 });
    expect(() => tokens.verifySession(noExp)).toThrow(/exp/);
  });

  it('marks a bot by its id, and signs a bot token for the TTL asked', async () => {
    const bot = { id: 'bot0123456789abcdef', username: 'helper' };
    const token = await tokens.sign(bot, Date.now(), 86_400);
    await expect(tokens.verify(token)).resolves.toEqual({ ...bot, bot: true });
    const session = tokens.verifySession(token);
    expect(session.user).toEqual({ ...bot, bot: true });
    expect(session.expiresAt).toBe(Math.floor(session.issuedAtMs / 1000) + 86_400);
    expect(tokens.verifySync(await tokens.sign({ id: 'botany', username: 'plants' }))).toEqual({ id: 'botany', username: 'plants' });
  });
});
