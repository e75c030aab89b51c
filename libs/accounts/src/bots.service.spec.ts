import { TokenService } from '@chat/auth';
import { Bot, ChatError, ErrorCode, isBotUserId } from '@chat/protocol';
import { codeOf } from '../../../test/support/fakes';
import { BotsService } from './bots.service';
import { SessionAuthenticator } from './session-authenticator';

describe('BotsService', () => {
  const tokens = new TokenService('unit-test-secret-0123456789-0123456789', 3600);
  const owner = { id: 'u-owner', username: 'owner' };
  let bots: Bot[];
  let revoked: Map<string, number>;
  let service: BotsService;
  let sessions: SessionAuthenticator;

  beforeEach(() => {
    bots = [];
    revoked = new Map();
    const revocations = { revokeAll: async (userId: string, at = Date.now()) => void revoked.set(userId, at), revokedBefore: async (userId: string) => revoked.get(userId) ?? 0 };
    service = new BotsService(
      {
        create: async ({ id, username, ownerId }) => {
          const bot: Bot = { id, username, bot: true, ownerId, createdAt: new Date().toISOString() };
          bots.push(bot);
          return bot;
        },
        ownedBy: async (ownerId) => bots.filter((b) => b.ownerId === ownerId),
        requireOwned: async (ownerId, botId) => {
          const bot = bots.find((b) => b.id === botId && b.ownerId === ownerId);
          if (!bot) throw new ChatError(ErrorCode.NOT_FOUND, 'no such bot');
          return bot;
        },
        markDeleted: async () => true,
      },
      tokens,
      revocations,
      { tokenTtlSeconds: 86_400, perUser: 5 },
    );
    sessions = new SessionAuthenticator(tokens, revocations);
  });

  it('creates a bot with a bot id and a token that authenticates it as a bot, for the bot TTL', async () => {
    const { bot, token, expiresAt } = await service.create(owner, { username: 'helper' });
    expect(isBotUserId(bot.id)).toBe(true);
    expect(await sessions.userOf(`Bearer ${token}`)).toEqual({ id: bot.id, username: 'helper', bot: true });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 86_000_000);
  });

  it('revoking voids the token; rotating voids it and issues one that works at once', async () => {
    const { bot, token } = await service.create(owner, { username: 'helper' });
    const rotated = await service.rotate(owner, bot.id);
    expect(await codeOf(sessions.userOf(`Bearer ${token}`))).toBe(ErrorCode.UNAUTHORIZED);
    expect((await sessions.userOf(`Bearer ${rotated.token}`)).id).toBe(bot.id);
    await service.revoke(owner, bot.id);
    expect(await codeOf(sessions.userOf(`Bearer ${rotated.token}`))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("refuses a bot creating bots, and another user's bot", async () => {
    const { bot } = await service.create(owner, { username: 'helper' });
    expect(await codeOf(service.create({ id: bot.id, username: bot.username, bot: true }, { username: 'child' }))).toBe(ErrorCode.FORBIDDEN);
    expect(await codeOf(service.revoke({ id: 'u-other', username: 'other' }, bot.id))).toBe(ErrorCode.NOT_FOUND);
    expect(await codeOf(service.rotate({ id: 'u-other', username: 'other' }, bot.id))).toBe(ErrorCode.NOT_FOUND);
    expect(revoked.size).toBe(0);
  });
});
