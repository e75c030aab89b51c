import { TokenService } from '@chat/auth';
import { ChatError, ErrorCode, User } from '@chat/protocol';
import type { UserRecord } from '@chat/store';
import { AccountsService, UserStore } from './accounts.service';

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

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof ChatError ? err.code : `not a ChatError: ${String(err)}`;
  }
}

describe('AccountsService', () => {
  const tokens = new TokenService('unit-test-secret-0123456789', 3600);
  let users: MemoryUsers;
  let accounts: AccountsService;

  beforeEach(() => {
    users = new MemoryUsers();
    accounts = new AccountsService(users, tokens, { guestLogin: true });
  });

  describe('guest', () => {
    it('creates the guest on first use and signs a token for it', async () => {
      const session = await accounts.guest({ username: 'alice' });
      expect(session.user).toEqual({ id: expect.stringMatching(/^u[a-z0-9]{16}$/), username: 'alice' });
      expect(await tokens.verify(session.token)).toEqual(session.user);
      expect(users.rows).toEqual([{ ...session.user, passwordHash: null }]);
    });

    it('gives later logins of the name the same user, with its stored spelling', async () => {
      const first = await accounts.guest({ username: 'Alice' });
      expect((await accounts.guest({ username: 'alice' })).user).toEqual(first.user);
      expect(users.rows).toHaveLength(1);
    });

    it('refuses a name a registered account holds', async () => {
      users.rows.push({ id: 'u1', username: 'bob', passwordHash: 'hash' });
      expect(await codeOf(accounts.guest({ username: 'BOB' }))).toBe(ErrorCode.CONFLICT);
    });

    it('uses the guest another request created in between', async () => {
      users.raceOnce = { id: 'uwinner', username: 'carol', passwordHash: null };
      expect((await accounts.guest({ username: 'carol' })).user).toEqual({ id: 'uwinner', username: 'carol' });
    });

    it('refuses when a registration won the race for the name', async () => {
      users.raceOnce = { id: 'uwinner', username: 'carol', passwordHash: 'hash' };
      expect(await codeOf(accounts.guest({ username: 'carol' }))).toBe(ErrorCode.CONFLICT);
    });

    it('is FORBIDDEN when guest login is off', async () => {
      const closed = new AccountsService(users, tokens, { guestLogin: false });
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
});
