import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { TokenService } from '@chat/auth';
import { encodeDelivery } from '@chat/protocol';
import { Channels, Keys } from '@chat/redis';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { guest, WsClient } from '../support/ws-client';

const JWT_SECRET = 'gateway-hardening-e2e-secret-0123456789';
const MAX_SOCKETS_PER_USER = 3;

/**
 * The gateway's security edges, end to end with plain `ws` clients against the built apps:
 * token lifetime and refresh, revocation, unknown users, the per-user socket cap, and the
 * close codes of frames the protocol refuses.
 */
describe('gateway hardening', () => {
  let stack: ChatStack;
  let redis: Redis;
  let url: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('hardening', {
      gateways: 1,
      messages: 1,
      env: { JWT_SECRET, MAX_SOCKETS_PER_USER: String(MAX_SOCKETS_PER_USER) },
    });
    url = stack.gatewayUrls[0];
    redis = new Redis(stack.redis.url);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.teardown();
  });

  async function open(token?: string, options?: { waitHello?: boolean }): Promise<WsClient> {
    const client = await WsClient.connect(url, token, options);
    clients.push(client);
    return client;
  }

  it('refuses to start a second gateway on a port another one listens on (uWS would share it)', async () => {
    const port = new URL(url).port;
    await expect(stack.add('gateway', { GATEWAY_PORT: port })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(GATEWAY_PORT\): the port is in use/);
    // The first one still has its port to itself and answers.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('closes 4001 a valid token of a user that does not exist, with no hello', async () => {
    const token = await new TokenService(JWT_SECRET, 3600).sign({ id: randomUUID(), username: 'ghost' });
    const client = await open(token, { waitHello: false });
    expect(await client.closed).toEqual({ code: 4001, reason: 'unknown user' });
    expect(client.hello).toBeUndefined();
  });

  it('closes 4001 when the token expires, but not a socket refreshed with a newer token', async () => {
    const { user } = await guest(stack.apiUrl, uniqueName('exp'));
    const shortLived = new TokenService(JWT_SECRET, 2);
    const expiring = await open(await shortLived.sign(user));
    const refreshed = await open(await shortLived.sign(user));
    const reply = await refreshed.call('auth.refresh', { token: await new TokenService(JWT_SECRET, 3600).sign(user) });
    expect(Date.parse(reply.expiresAt)).toBeGreaterThan(Date.now() + 3_000_000);
    expect(await expiring.closed).toEqual({ code: 4001, reason: 'token expired' });
    expect((await refreshed.call('room.list')).rooms).toBeDefined(); // still open after the old expiry
    const other = await guest(stack.apiUrl, uniqueName('oth'));
    expect((await refreshed.request('auth.refresh', { token: other.token })).error?.code).toBe('BAD_REQUEST');
  });

  it('refuses a token issued before the user revocation, and closes open sockets on a close delivery', async () => {
    const { token, user } = await guest(stack.apiUrl, uniqueName('rev'));
    const before = await open(token);
    await redis.set(Keys.tokensRevokedBefore(user.id), String(Date.now() + 2000));
    const refused = await open(token, { waitHello: false });
    expect(await refused.closed).toEqual({ code: 4001, reason: 'token revoked' });

    await redis.publish(Channels.user(user.id), encodeDelivery({ close: { code: 4001, reason: 'signed out everywhere' } }));
    expect(await before.closed).toEqual({ code: 4001, reason: 'signed out everywhere' });
  });

  it(`closes 4008 the socket past ${MAX_SOCKETS_PER_USER} of one user`, async () => {
    const { token } = await guest(stack.apiUrl, uniqueName('cap'));
    for (let i = 0; i < MAX_SOCKETS_PER_USER; i++) await open(token);
    const extra = await open(token, { waitHello: false });
    const closed = await extra.closed;
    expect(closed.code).toBe(4008);
    expect(closed.reason).toMatch(/too many connections/);
  });

  it.each([300 * 1024, 2 * 1024 * 1024])('closes a %d-byte frame with 1009 (and TOO_LARGE)', async (size) => {
    const { token } = await guest(stack.apiUrl, uniqueName('big'));
    const client = await open(token);
    const tooLarge = client.next((f) => f.type === 'error');
    client.sendRaw(JSON.stringify({ type: 'ping', data: { pad: 'x'.repeat(size) } }));
    expect((await tooLarge).data.code).toBe('TOO_LARGE');
    expect((await client.closed).code).toBe(1009);
  });

  it('closes 1007 a binary frame that is not valid UTF-8', async () => {
    const { token } = await guest(stack.apiUrl, uniqueName('utf'));
    const client = await open(token);
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: true });
    expect((await client.closed).code).toBe(1007);
  });

  it('closes a text frame that is not valid UTF-8 (uWS drops it before the gateway sees it)', async () => {
    const { token } = await guest(stack.apiUrl, uniqueName('utf'));
    const client = await open(token);
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect([1006, 1007]).toContain((await client.closed).code);
  });
});
