import { hashPassword, verifyPassword } from '@chat/auth';
import { ChatError, ErrorCode, isBotUserId, newUserId, User, userRef } from '@chat/protocol';
import type { UserRepository } from '@chat/store';
import { randomBytes } from 'node:crypto';
import { GuestLoginBody, LoginBody, RegisterBody } from './accounts.schema';
import type { TokenService } from '@chat/auth';
import type { TokenRevocations } from './token-revocations';

/** What every auth endpoint answers: a session token and who it is for. */
export interface Session {
  token: string;
  user: User;
}

/** The part of the user store these use cases need (a fake in unit tests). */
export type UserStore = Pick<UserRepository, 'create' | 'findByUsername'>;

/** Revocations as these use cases need them (Redis in the app, a map in unit tests). */
export type RevocationStore = Pick<TokenRevocations, 'revokedBefore' | 'revokeAll'>;

/**
 * How long past its expiry a guest's token still proves who the guest is: a guest coming back
 * within a month gets its name (and its rooms, DMs) back; after that the name stays taken.
 */
export const GUEST_PROOF_GRACE_SECONDS = 30 * 24 * 3600;

export interface AccountsOptions {
  /** `config.auth.guestLogin`: when false, guest login answers FORBIDDEN. */
  guestLogin: boolean;
}

/**
 * The auth use cases. Guests and registered users share one username space. A guest name
 * belongs to the guest who took it: logging in with it again needs a proof — a token that
 * guest was given (expired up to GUEST_PROOF_GRACE_SECONDS, not revoked) — else CONFLICT.
 * A registered name needs its password. Input arrives already validated against accounts.schema.
 */
export class AccountsService {
  /** A hash to verify against when the user does not exist, so timing does not reveal it. */
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationStore,
    private readonly options: AccountsOptions,
  ) {}

  async guest({ username, token }: GuestLoginBody): Promise<Session> {
    if (!this.options.guestLogin) throw new ChatError(ErrorCode.FORBIDDEN, 'guest login is disabled');
    return this.session(await this.guestUser(username, token));
  }

  /** A fresh token for the user of a valid one (the caller's BearerGuard checked it). */
  refresh(user: User): Promise<Session> {
    return this.session(user);
  }

  /** Voids every token of the user issued before now; their open sockets are closed. */
  async logoutAll(user: User): Promise<{ revokedBefore: string }> {
    const at = Date.now();
    await this.revocations.revokeAll(user.id, at);
    return { revokedBefore: new Date(at).toISOString() };
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

  /**
   * The guest user of that name: created on first use; an existing guest only for a caller
   * proving to be it; CONFLICT otherwise, and whenever a registered account holds the name.
   */
  private async guestUser(username: string, proof: string | undefined): Promise<User> {
    const existing = await this.users.findByUsername(username);
    if (existing) {
      const user = asGuest(existing);
      if (proof !== undefined && (await this.proves(proof, user.id))) return user;
      throw nameTaken(username);
    }
    try {
      return await this.users.create({ id: newUserId(), username, passwordHash: null });
    } catch (err) {
      // Another request took the name between our read and our insert; it holds it now.
      if (err instanceof ChatError && err.code === ErrorCode.CONFLICT) throw nameTaken(username);
      throw err;
    }
  }

  /** Whether `token` is one this user was given: signed by us, not too old, not revoked. */
  private async proves(token: string, userId: string): Promise<boolean> {
    let claims;
    try {
      claims = await this.tokens.verifyClaims(token, { expiredGraceSeconds: GUEST_PROOF_GRACE_SECONDS });
    } catch {
      return false;
    }
    if (claims.user.id !== userId) return false;
    return claims.issuedAtMs >= (await this.revocations.revokedBefore(userId));
  }

  private async session(user: User): Promise<Session> {
    return { token: await this.tokens.sign(user), user: userRef(user.id, user.username) };
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.decoyHash;
  }
}

function asGuest(record: { id: string; username: string; passwordHash: string | null }): User {
  if (isBotUserId(record.id)) throw new ChatError(ErrorCode.CONFLICT, `username "${record.username}" belongs to a bot`);
  if (record.passwordHash !== null) {
    throw new ChatError(ErrorCode.CONFLICT, `username "${record.username}" belongs to a registered account`);
  }
  return { id: record.id, username: record.username };
}

function nameTaken(username: string): ChatError {
  return new ChatError(
    ErrorCode.CONFLICT,
    `username is taken: "${username}" belongs to another guest (a returning guest sends its last token as "token")`,
  );
}

function badCredentials(): ChatError {
  return new ChatError(ErrorCode.UNAUTHORIZED, 'wrong username or password');
}
