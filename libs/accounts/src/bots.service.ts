import type { TokenService } from '@chat/auth';
import { Bot, BotCreateBody, BotToken, ChatError, ErrorCode, newBotUserId, User } from '@chat/protocol';
import type { BotRepository } from '@chat/store';
import type { TokenRevocations } from './token-revocations';

export interface BotsOptions {
  /** How long a bot token is valid (`BOT_TOKEN_TTL_SECONDS`). */
  tokenTtlSeconds: number;
  /** Live bots one user may own (`BOTS_PER_USER`). */
  perUser: number;
}

/**
 * Bot accounts: a user creates a bot and gets its token, once. The token is a session token
 * like a person's (same JWT, verified by the api and every gateway), only longer-lived, so a
 * bot uses the REST API and the WebSocket as people do. Revoking is the per-user revocation
 * every door already checks (`tokensRevokedBefore`, which also closes the bot's open sockets
 * 4001); rotating is revoking, then issuing a token stamped at the revocation's instant —
 * the first one the new threshold accepts.
 */
export class BotsService {
  constructor(
    private readonly bots: Pick<BotRepository, 'create' | 'ownedBy' | 'requireOwned' | 'markDeleted'>,
    private readonly tokens: TokenService,
    /** Kept at least as long as a bot token lives: a revocation that expired would bring tokens back. */
    private readonly revocations: Pick<TokenRevocations, 'revokeAll'>,
    private readonly options: BotsOptions,
  ) {}

  async create(owner: User, { username }: BotCreateBody): Promise<BotToken> {
    if (owner.bot) throw new ChatError(ErrorCode.FORBIDDEN, 'a bot cannot create bots');
    const bot = await this.bots.create({ id: newBotUserId(), username, ownerId: owner.id }, this.options.perUser);
    return this.issue(bot, Date.now());
  }

  list(owner: User): Promise<Bot[]> {
    return this.bots.ownedBy(owner.id);
  }

  /** Voids the bot's current token (and closes its sockets), then issues a new one. */
  async rotate(owner: User, botId: string): Promise<BotToken> {
    const bot = await this.bots.requireOwned(owner.id, botId);
    const at = Date.now();
    await this.revocations.revokeAll(bot.id, at);
    return this.issue(bot, at);
  }

  /** Voids every token of the bot and closes its sockets; the bot stays (a new token: rotate). */
  async revoke(owner: User, botId: string): Promise<{ revokedBefore: string }> {
    const bot = await this.bots.requireOwned(owner.id, botId);
    const at = Date.now();
    await this.revocations.revokeAll(bot.id, at);
    return { revokedBefore: new Date(at).toISOString() };
  }

  /** Revokes the bot's tokens and deletes the bot (its name stays taken, its messages stay). */
  async remove(owner: User, botId: string): Promise<void> {
    const bot = await this.bots.requireOwned(owner.id, botId);
    await this.revocations.revokeAll(bot.id);
    await this.bots.markDeleted(owner.id, bot.id);
  }

  private async issue(bot: Bot, at: number): Promise<BotToken> {
    const token = await this.tokens.sign({ id: bot.id, username: bot.username }, at, this.options.tokenTtlSeconds);
    return { bot, token, expiresAt: new Date((Math.floor(at / 1000) + this.options.tokenTtlSeconds) * 1000).toISOString() };
  }
}
