import { ChatError, ErrorCode, User, userRef } from '@chat/protocol';
import { Database } from '../database';

export interface UserRecord extends User {
  passwordHash: string | null;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
}

const toRecord = (r: UserRow): UserRecord => ({ ...userRef(r.id, r.username), passwordHash: r.password_hash });

/** Users. Usernames are unique regardless of case. */
export class UserRepository {
  constructor(private readonly db: Database) {}

  /** Creates a user; CONFLICT when the username is taken. */
  async create(user: { id: string; username: string; passwordHash: string | null }): Promise<User> {
    const rows = await this.db.query<UserRow>(
      `INSERT INTO users (id, username, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING id, username, password_hash`,
      [user.id, user.username, user.passwordHash],
    );
    if (rows.length === 0) throw new ChatError(ErrorCode.CONFLICT, `username "${user.username}" is taken`);
    return { id: rows[0].id, username: rows[0].username };
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const rows = await this.db.query<UserRow>(
      'SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)',
      [username],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** The public face of the user with this name (any case); NOT_FOUND when nobody has it. */
  async requireByUsername(username: string): Promise<User> {
    const found = await this.findByUsername(username);
    if (!found) throw new ChatError(ErrorCode.NOT_FOUND, `no user named "${username}"`);
    return userRef(found.id, found.username);
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const rows = await this.db.query<UserRow>('SELECT id, username, password_hash FROM users WHERE id = $1', [id]);
    return rows[0] && toRecord(rows[0]);
  }
}
