import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { guest, WsClient } from '../support/ws-client';

/**
 * Bot accounts end to end (api, messages, presence and a gateway as separate processes): a
 * person creates a bot and gets its token once; the bot uses REST and the WebSocket with it,
 * is marked `bot: true` as an author and a member, is held to the bot rate limits, and its
 * owner revokes (open sockets closed 4001, REST 401), rotates and deletes it.
 */
const BOT_SENDS = 3;

describe('bots', () => {
  let stack: ChatStack;
  const open: WsClient[] = [];

  type Session = { token: string; user: { id: string; username: string } };
  type BotToken = { bot: { id: string; username: string; bot: true; ownerId: string; createdAt: string }; token: string; expiresAt: string };

  const http = (path: string, token: string | undefined, method = 'GET', body?: unknown) =>
    fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function connect(token: string): Promise<WsClient> {
    const client = await WsClient.connect(stack.gatewayUrls[0], token);
    open.push(client);
    return client;
  }

  async function createBot(owner: Session, prefix = 'bot'): Promise<BotToken> {
    const res = await http('/api/bots', owner.token, 'POST', { username: uniqueName(prefix) });
    expect(res.status).toBe(201);
    return (await res.json()) as BotToken;
  }

  beforeAll(async () => {
    // People keep the generous limits of chat-stack; bots get a small one.
    stack = await startChatStack('bots', { gateways: 1, messages: 1, env: { RATE_BOT_SENDS: String(BOT_SENDS) } });
  });

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await stack?.teardown();
  });

  it('creates a bot whose token works on REST and the WebSocket, marked bot as author and member', async () => {
    const owner = await guest(stack.apiUrl, uniqueName('owner'));
    const { bot, token, expiresAt } = await createBot(owner);
    expect(bot).toEqual({ id: bot.id, username: bot.username, bot: true, ownerId: owner.user.id, createdAt: expect.any(String) });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 300 * 24 * 3600_000);
    const listed = (await (await http('/api/bots', owner.token)).json()) as Record<string, unknown>[];
    expect(listed).toEqual([bot]); // the token is not shown again

    expect((await http('/api/rooms', token)).status).toBe(200);
    expect(await (await http(`/api/users/by-username/${bot.username}`, owner.token)).json()).toEqual({ user: { id: bot.id, username: bot.username, bot: true } });
    // A bot's name is not a guest's to take.
    expect((await fetch(`${stack.apiUrl}/api/auth/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: bot.username }) })).status).toBe(409);

    const ownerWs = await connect(owner.token);
    const botWs = await connect(token);
    expect(botWs.hello!.data).toMatchObject({ userId: bot.id, username: bot.username });
    const { room } = await ownerWs.call('room.create', { name: 'with-a-bot', kind: 'private' });
    const joined = botWs.next((f) => f.type === 'room.member_joined' && f.data.roomId === room.id, 15_000, 'the invitation');
    await ownerWs.call('room.invite', { roomId: room.id, userId: bot.id });
    expect((await joined).data.user).toEqual({ id: bot.id, username: bot.username, bot: true });
    const seen = ownerWs.next((f) => f.type === 'message.created' && f.data.author.id === bot.id, 15_000, "the bot's message");
    const { message } = await botWs.call('message.send', { roomId: room.id, text: 'beep boop', clientMsgId: 'b1' });
    expect(message.author).toEqual({ id: bot.id, username: bot.username, bot: true });
    expect((await seen).data.author).toEqual({ id: bot.id, username: bot.username, bot: true });
    const { members } = await ownerWs.call('room.members', { roomId: room.id });
    expect(members.find((m: { id: string }) => m.id === bot.id)).toMatchObject({ bot: true, role: 'member' });
    expect(members.find((m: { id: string }) => m.id === owner.user.id)).not.toHaveProperty('bot');
    const history = (await (await http(`/api/rooms/${room.id}/messages`, token)).json()) as { messages: { author: unknown }[] };
    expect(history.messages.map((m) => m.author)).toEqual([{ id: bot.id, username: bot.username, bot: true }]);
  });

  it('holds a bot to the bot rate limit while a person in the same room is not', async () => {
    const owner = await guest(stack.apiUrl, uniqueName('rl'));
    const { token } = await createBot(owner, 'fast');
    const [ownerWs, botWs] = [await connect(owner.token), await connect(token)];
    const { room } = await ownerWs.call('room.create', { name: 'limits' });
    await botWs.call('room.join', { roomId: room.id });
    const replies = [];
    for (let i = 0; i <= BOT_SENDS; i++) replies.push(await botWs.request('message.send', { roomId: room.id, text: `bot ${i}`, clientMsgId: `b${i}` }));
    expect(replies.slice(0, BOT_SENDS).every((r) => r.ok)).toBe(true);
    expect(replies[BOT_SENDS].error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('user'), retryAfterMs: expect.any(Number) });
    for (let i = 0; i <= BOT_SENDS * 3; i++) expect((await ownerWs.request('message.send', { roomId: room.id, text: `me ${i}`, clientMsgId: `p${i}` })).ok).toBe(true);
  });

  it('revokes a bot token: REST answers 401 and the open socket is closed 4001; a rotated token works', async () => {
    const owner = await guest(stack.apiUrl, uniqueName('rv'));
    const stranger = await guest(stack.apiUrl, uniqueName('st'));
    const { bot, token } = await createBot(owner, 'rvk');
    const botWs = await connect(token);
    expect((await http(`/api/bots/${bot.id}/token`, stranger.token, 'DELETE')).status).toBe(404);
    expect((await http(`/api/bots/${bot.id}/token`, token, 'DELETE')).status).toBe(404); // a bot does not own itself
    expect((await http('/api/bots', token, 'POST', { username: uniqueName('child') })).status).toBe(403);

    const revoked = await http(`/api/bots/${bot.id}/token`, owner.token, 'DELETE');
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ revokedBefore: expect.any(String) });
    expect(await botWs.closed).toEqual({ code: 4001, reason: 'token revoked' });
    expect((await http('/api/rooms', token)).status).toBe(401);
    const refused = await WsClient.connect(stack.gatewayUrls[0], token, { waitHello: false });
    open.push(refused);
    expect(await refused.closed).toEqual({ code: 4001, reason: 'token revoked' });

    const rotated = await http(`/api/bots/${bot.id}/token`, owner.token, 'POST');
    expect(rotated.status).toBe(201);
    const fresh = (await rotated.json()) as BotToken;
    expect(fresh.bot).toEqual(bot);
    expect((await http('/api/rooms', fresh.token)).status).toBe(200);
    expect((await connect(fresh.token)).hello!.data.userId).toBe(bot.id);
    expect((await http('/api/rooms', token)).status).toBe(401);
  });

  it('deletes a bot: its token stops working and it leaves the list; bad input gets a reason', async () => {
    const owner = await guest(stack.apiUrl, uniqueName('dl'));
    const { bot, token } = await createBot(owner, 'gone');
    const botWs = await connect(token);
    expect((await http(`/api/bots/${bot.id}`, owner.token, 'DELETE')).status).toBe(204);
    expect((await botWs.closed).code).toBe(4001);
    expect((await http('/api/rooms', token)).status).toBe(401);
    expect(await (await http('/api/bots', owner.token)).json()).toEqual([]);
    expect((await http(`/api/bots/${bot.id}/token`, owner.token, 'POST')).status).toBe(404);

    const bad = await http('/api/bots', owner.token, 'POST', { username: 'no spaces allowed' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/username/);
    expect((await http('/api/bots', owner.token, 'POST', { username: owner.user.username })).status).toBe(409);
    expect((await http('/api/bots', undefined, 'POST', { username: uniqueName('anon') })).status).toBe(401);
  });
});
