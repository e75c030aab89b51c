import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { guest, WsClient } from '../support/ws-client';

/** `user.lookup` over the socket and `GET /api/users/by-username/:username`: found, not found, bad input. */
describe('user lookup', () => {
  let stack: ChatStack;
  let alice: Awaited<ReturnType<typeof guest>>;
  let bob: Awaited<ReturnType<typeof guest>>;
  let client: WsClient;

  beforeAll(async () => {
    stack = await startChatStack('userlookup', { gateways: 1, messages: 1 });
    alice = await guest(stack.apiUrl, uniqueName('la'));
    bob = await guest(stack.apiUrl, uniqueName('Lb'));
    client = await WsClient.connect(stack.gatewayUrls[0], alice.token);
  });
  afterAll(async () => {
    await client?.close();
    await stack?.teardown();
  });

  const http = (path: string, token: string | null = alice.token) =>
    fetch(`${stack.apiUrl}/api/users/by-username/${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('finds a user by name in any case, over the socket, and the user can then be DMed', async () => {
    const { user } = await client.call('user.lookup', { username: bob.user.username.toUpperCase() });
    expect(user).toEqual(bob.user);
    const { room } = await client.call('dm.open', { userId: user.id });
    expect(room.kind).toBe('dm');
  });

  it('answers NOT_FOUND for a name nobody has, and BAD_REQUEST for what cannot be a name', async () => {
    expect((await client.request('user.lookup', { username: uniqueName('nobody') })).error?.code).toBe('NOT_FOUND');
    for (const username of ['x', 'with space', 'a'.repeat(33), 'nul\u0000']) {
      expect((await client.request('user.lookup', { username })).error?.code).toBe('BAD_REQUEST');
    }
    expect((await client.request('user.lookup', {})).error?.code).toBe('BAD_REQUEST');
  });

  it('answers the same over HTTP, for signed-in callers only', async () => {
    const found = await http(encodeURIComponent(bob.user.username.toLowerCase()));
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ user: bob.user });
    const missing = await http(uniqueName('nobody'));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await http('with%20space')).status).toBe(400);
    expect((await http('a'.repeat(33))).status).toBe(400);
    expect((await http(bob.user.username, null)).status).toBe(401);
  });
});
