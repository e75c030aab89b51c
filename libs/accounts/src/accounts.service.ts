import { hashPassword, TokenService, verifyPassword } from '@chat/auth';
import { ChatError, ErrorCode, newUserId, User } from '@chat/protocol';
import type { UserRepository } from '@chat/store';
import { randomBytes } from 'node:crypto';
import { GuestLoginBody, LoginBody, RegisterBody } from './accounts.schema';

/** What every auth endpoint answers: a session token and who it is for. */
export interface Session {
  token: string;
  user: User;
}

/** The part of the user store these use cases need (a fake in unit tests). */
export type UserStore = Pick<UserRepository, 'create' | 'findByUsername'>;

export interface AccountsOptions {
  /** `config.auth.guestLogin`: when false, guest login answers FORBIDDEN. */
  guestLogin: boolean;
}

/**
 * The auth use cases. Guests and registered users share one username space: a guest name
 * is reusable by any guest (that is what "guest" means), a registered name only with its
 * password. Input arrives already validated against accounts.schema.
 */
export class AccountsService {
  /** A hash to verify against when the user does not exist, so timing does not reveal it. */
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenService,
    private readonly options: AccountsOptions,
  ) {}

  async guest({ username }: GuestLoginBody): Promise<Session> {
    if (!this.options.guestLogin) throw new ChatError(ErrorCode.FORBIDDEN, 'guest login is disabled');
    return this.session(await this.guestUser(username));
  }

  async register({ username, password }: RegisterBody): Promise<Session> {
    if (await this.users.findByUsername(username)) {
      throw new ChatError(ErrorCode.CONFLICT, `username "${username}" is taken`);
    }
    // The unique index still decides a race between two registrations (CONFLICT from create).
    const user = await this.users.create({ id: newUserId(), username, passwordHash: await hashPassword(password) });
    return this.session(user);
  }

  async login({ username, password }: LoginBody): Promise<Session> {
    const record = await this.users.findByUsername(username);
    if (!record?.passwordHash) {
      await verifyPassword(await this.decoy(), password);
      throw badCredentials();
    }
    if (!(await verifyPassword(record.passwordHash, password))) throw badCredentials();
    return this.session({ id: record.id, username: record.username });
  }

  /** The guest user of that name, created on first use; CONFLICT when a registered account holds it. */
  private async guestUser(username: string): Promise<User> {
    const existing = await this.users.findByUsername(username);
    if (existing) return asGuest(existing);
    try {
      return await this.users.create({ id: newUserId(), username, passwordHash: null });
    } catch (err) {
      // Another request created the name between our read and our insert: use whatever won.
      if (!(err instanceof ChatError && err.code === ErrorCode.CONFLICT)) throw err;
      const winner = await this.users.findByUsername(username);
      if (!winner) throw err;
      return asGuest(winner);
    }
  }

  private async session(user: User): Promise<Session> {
    return { token: await this.tokens.sign(user), user: { id: user.id, username: user.username } };
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.decoyHash;
  }
}

function asGuest(record: { id: string; username: string; passwordHash: string | null }): User {
  if (record.passwordHash !== null) {
    throw new ChatError(ErrorCode.CONFLICT, `username "${record.username}" belongs to a registered account`);
  }
  return { id: record.id, username: record.username };
}

function badCredentials(): ChatError {
  return new ChatError(ErrorCode.UNAUTHORIZED, 'wrong username or password');
}
