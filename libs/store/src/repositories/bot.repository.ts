import { Bot, ChatError, ErrorCode } from '@chat/protocol';
import { Database } from '../database';
import { iso } from '../rows';

interface BotRow {
  id: string;
  username: string;
  bot_owner_id: string;
  created_at: Date | string;
}

const toBot = (r: BotRow): Bot => ({ id: r.id, username: r.username, bot: true, ownerId: r.bot_owner_id, createdAt: iso(r.created_at) });

/** Bot accounts: users with an owner (`users.bot_owner_id`), no password, ids from newBotUserId. */
export class BotRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates a bot unless its owner already has `limit` live ones (counted in the insert,
   * under a lock on the owner's row, so two creations at once cannot both pass);
   * CONFLICT when the name is taken, FORBIDDEN over the limit.
   */
  async create(bot: { id: string; username: string; ownerId: string }, limit: number): Promise<Bot> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [bot.ownerId]);
      const [{ count }] = await tx.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM users WHERE bot_owner_id = $1 AND bot_deleted_at IS NULL',
        [bot.ownerId],
      );
      if (count >= limit) throw new ChatError(ErrorCode.FORBIDDEN, `you have ${count} bots already (at most ${limit})`);
      const rows = await tx.query<BotRow>(
        `INSERT INTO users (id, username, password_hash, bot, bot_owner_id) VALUES ($1, $2, NULL, true, $3)
         ON CONFLICT DO NOTHING RETURNING id, username, bot_owner_id, created_at`,
        [bot.id, bot.username, bot.ownerId],
      );
      if (rows.length === 0) throw new ChatError(ErrorCode.CONFLICT, `username "${bot.username}" is taken`);
      return toBot(rows[0]);
    });
  }

  /** The owner's live bots, oldest first. */
  async ownedBy(ownerId: string): Promise<Bot[]> {
    const rows = await this.db.query<BotRow>(
      `SELECT id, username, bot_owner_id, created_at FROM users
       WHERE bot_owner_id = $1 AND bot_deleted_at IS NULL ORDER BY created_at, id`,
      [ownerId],
    );
    return rows.map(toBot);
  }

  /** The owner's live bot of that id; NOT_FOUND otherwise (someone else's bot is not confirmed to exist). */
  async requireOwned(ownerId: string, botId: string): Promise<Bot> {
    const rows = await this.db.query<BotRow>(
      `SELECT id, username, bot_owner_id, created_at FROM users
       WHERE id = $1 AND bot_owner_id = $2 AND bot_deleted_at IS NULL`,
      [botId, ownerId],
    );
    if (!rows[0]) throw new ChatError(ErrorCode.NOT_FOUND, `you have no bot ${botId}`);
    return toBot(rows[0]);
  }

  /** Marks the bot deleted (its row stays: messages and memberships refer to it); false when it was not a live bot of the owner. */
  async markDeleted(ownerId: string, botId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE users SET bot_deleted_at = now() WHERE id = $1 AND bot_owner_id = $2 AND bot_deleted_at IS NULL RETURNING id`,
      [botId, ownerId],
    );
    return rows.length > 0;
  }
}
