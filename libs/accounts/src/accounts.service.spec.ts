import { ChatError, ErrorCode, User } from '@chat/protocol';
import type { UserRecord } from '@chat/store';
import { AccountsService, GUEST_PROOF_GRACE_SECONDS, RevocationStore, UserStore } from './accounts.service';
import { TokenService } from '@chat/auth';
import { codeOf } from '../../../test/support/fakes';

/** The user table in memory, with the store's rules: case-insensitive unique names. */
class MemoryUsers implements UserStore {
  readonly rows: UserRecord[] = [];
  /** Simulates another request creating the name between our read and our insert. */
  raceOnce?: UserRecord;

  async create(user: { id: string; username: string; passwordHash: string | null }): Promise<User> {
    if (this.raceOnce) {
      this.rows.push(this.raceOnce);
      this.raceOnce = undefined;
    }
    if (this.rows.some((r) => r.username.toLowerCase() === user.username.toLowerCase())) {
      throw new ChatError(ErrorCode.CONFLICT, 'taken');
    }
    this.rows.push({ ...user });
    return { id: user.id, username: user.username };
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    return this.rows.find((r) => r.username.toLowerCase() === username.toLowerCase());
  }
}


describe('AccountsService', () => {
  const TTL_SECONDS = 3600;
  const tokens = new TokenService('unit-test-secret-0123456789-0123456789', TTL_SECONDS);
  let users: MemoryUsers;
  let revoked: Map<string, number>;
  let accounts: AccountsService;

  beforeEach(() => {
    users = new MemoryUsers();
    revoked = new Map();
    const revocations: RevocationStore = {
      revokedBefore: async (userId) => revoked.get(userId) ?? 0,
      revokeAll: async (userId, at = Date.now()) => void revoked.set(userId, at),
    };
    accounts = new AccountsService(users, tokens, revocations, { guestLogin: true });
  });

  describe('guest', () => {
    it('creates the guest on first use and signs a token for it', async () => {
      const session = await accounts.guest({ username: 'alice' });
      expect(session.user).toEqual({ id: expect.stringMatching(/^u[a-z0-9]{16}$/), username: 'alice' });
      expect(await tokens.verify(session.token)).toEqual(session.user);
      expect(users.rows).toEqual([{ ...session.user, passwordHash: null }]);
    });

    it('refuses a name another guest holds, in any case, to a login without proof', async () => {
      const first = await accounts.guest({ username: 'Alice' });
      expect(await codeOf(accounts.guest({ username: 'alice' }))).toBe(ErrorCode.CONFLICT);
      expect(await codeOf(accounts.guest({ username: 'ALICE' }))).toBe(ErrorCode.CONFLICT);
      await expect(accounts.guest({ username: 'alice' })).rejects.toThrow('username is taken');
      expect(users.rows).toEqual([{ ...first.user, passwordHash: null }]);
    });

    it("gives the name back to the guest who presents one of its tokens, with its stored spelling", async () => {
      const first = await accounts.guest({ username: 'Alice' });
      const again = await accounts.guest({ username: 'alice', token: first.token });
      expect(again.user).toEqual(first.user);
      expect(await tokens.verify(again.token)).toEqual(first.user);
      expect(users.rows).toHaveLength(1);
    });

    it('takes an expired token as proof within the grace, not after it', async () => {
      const first = await accounts.guest({ username: 'olga' });
      const long = Date.now() - (TTL_SECONDS + GUEST_PROOF_GRACE_SECONDS - 60) * 1000;
      const expiredRecently = await tokens.sign(first.user, long);
      expect((await accounts.guest({ username: 'olga', token: expiredRecently })).user).toEqual(first.user);
      const tooOld = await tokens.sign(first.user, long - 120_000);
      expect(await codeOf(accounts.guest({ username: 'olga', token: tooOld }))).toBe(ErrorCode.CONFLICT);
    });

    it("refuses another user's token, a forged one, and one issued before a revocation", async () => {
      const victim = await accounts.guest({ username: 'victim' });
      const attacker = await accounts.guest({ username: 'attacker' });
      expect(await codeOf(accounts.guest({ username: 'victim', token: attacker.token }))).toBe(ErrorCode.CONFLICT);
      const forged = await new TokenService('another-secret-0123456789-0123456789', TTL_SECONDS).sign(victim.user);
      expect(await codeOf(accounts.guest({ username: 'victim', token: forged }))).toBe(ErrorCode.CONFLICT);
      expect(await codeOf(accounts.guest({ username: 'victim', token: 'not-a-jwt' }))).toBe(ErrorCode.CONFLICT);
      await accounts.logoutAll(victim.user);
      expect(await codeOf(accounts.guest({ username: 'victim', token: victim.token }))).toBe(ErrorCode.CONFLICT);
    });

    it('ignores a proof for a name nobody holds (a stale token of a reset server)', async () => {
      const stale = await tokens.sign({ id: 'ugone', username: 'fresh' });
      const session = await accounts.guest({ username: 'fresh', token: stale });
      expect(session.user.id).not.toBe('ugone');
    });

    it('refuses the name when another guest created it in between', async () => {
      users.raceOnce = { id: 'uwinner', username: 'carol', passwordHash: null };
      expect(await codeOf(accounts.guest({ username: 'carol' }))).toBe(ErrorCode.CONFLICT);
    });

    it('refuses when a registration won the race for the name', async () => {
      users.raceOnce = { id: 'uwinner', username: 'carol', passwordHash: 'hash' };
      expect(await codeOf(accounts.guest({ username: 'carol' }))).toBe(ErrorCode.CONFLICT);
    });

    it('is FORBIDDEN when guest login is off', async () => {
      const closed = new AccountsService(users, tokens, { revokedBefore: async () => 0, revokeAll: async () => undefined }, { guestLogin: false });
      expect(await codeOf(closed.guest({ username: 'alice' }))).toBe(ErrorCode.FORBIDDEN);
      expect(users.rows).toHaveLength(0);
    });
  });

  describe('register and login', () => {
    it('stores a hash, never the password, and logs in with it', async () => {
      const registered = await accounts.register({ username: 'dave', password: 'correct horse' });
      expect(users.rows[0].passwordHash).toMatch(/^\$argon2id\$/);
      expect(users.rows[0].passwordHash).not.toContain('correct horse');
      const loggedIn = await accounts.login({ username: 'DAVE', password: 'correct horse' });
      expect(loggedIn.user).toEqual(registered.user);
    });

    it('refuses a taken name, guest or registered, in any case', async () => {
      await accounts.guest({ username: 'erin' });
      expect(await codeOf(accounts.register({ username: 'Erin', password: 'long enough' }))).toBe(ErrorCode.CONFLICT);
    });

    it('answers UNAUTHORIZED to a wrong password, an unknown name and a guest', async () => {
      await accounts.register({ username: 'frank', password: 'right password' });
      await accounts.guest({ username: 'gina' });
      expect(await codeOf(accounts.login({ username: 'frank', password: 'wrong password' }))).toBe(ErrorCode.UNAUTHORIZED);
      expect(await codeOf(accounts.login({ username: 'nobody', password: 'right password' }))).toBe(ErrorCode.UNAUTHORIZED);
      expect(await codeOf(accounts.login({ username: 'gina', password: 'anything' }))).toBe(ErrorCode.UNAUTHORIZED);
    });
  });

  describe('refresh and logout everywhere', () => {
    it('refresh signs a new token for the same user', async () => {
      const first = await accounts.guest({ username: 'hana' });
      const refreshed = await accounts.refresh(first.user);
      expect(refreshed.user).toEqual(first.user);
      expect(await tokens.verify(refreshed.token)).toEqual(first.user);
    });

    it('logoutAll revokes every token issued before now', async () => {
      const before = Date.now();
      const result = await accounts.logoutAll({ id: 'u1', username: 'ivan' });
      const at = revoked.get('u1')!;
      expect(at).toBeGreaterThanOrEqual(before);
      expect(result).toEqual({ revokedBefore: new Date(at).toISOString() });
    });
  });
});
