import { TokenService } from '@chat/auth';
import { encodeDelivery, encodeRoomEvent, eventFrame } from '@chat/protocol';
import { Keys, shardOf } from '@chat/redis';
import { settle } from '../../../test/support/deferred';
import { FakeSocket, fakeLogger } from '../../../test/support/fakes';
import { EVERYONE_TOPIC, NO_ROOMS } from './client-socket';
import { Gateway, GatewayOptions } from './gateway';
import { GatewayMetrics } from './gateway.metrics';
import { memoryGatewayPorts } from './ports/gateway-ports';

const SECRET = 'gateway-unit-test-secret-0123456789';
const alice = { id: 'u-alice', username: 'alice' };
const SHARDS = 4;

const OPTIONS: GatewayOptions = {
  id: 'gw-test',
  shards: SHARDS,
  heartbeatMs: 25_000,
  authTimeoutMs: 10_000,
  maxPendingFrames: 8,
  maxSocketsPerUser: 2,
  heartbeatIntervalMs: 60_000,
  rates: {
    connection: { frames: { perSecond: 1000, burst: 1000 }, sends: { perSecond: 1000, burst: 1000 } },
    user: { windowMs: 60_000, frames: 1000, sends: 1000, syncMs: 100 },
  },
};

/** A uWS socket as the gateway gets it: upgraded with the data connectionFor gave. */
class UpgradedSocket extends FakeSocket {
  constructor(readonly gateway: Gateway) {
    super('unused');
  }
  override end(code?: number, reason?: string): void {
    super.end(code, reason);
    this.gateway.onClose(this, code ?? 1005); // uWS runs the close handler from end()
  }
}

describe('Gateway (in-memory ports)', () => {
  const tokens = new TokenService(SECRET, 3600);
  let ports: ReturnType<typeof memoryGatewayPorts>;
  let published: { topic: string; message: string }[];
  let gateway: Gateway;

  beforeEach(async () => {
    ports = memoryGatewayPorts();
    published = [];
    gateway = new Gateway(OPTIONS, ports, tokens, { publish: (topic, message) => published.push({ topic, message }) }, fakeLogger());
    await gateway.start();
  });
  afterEach(() => gateway.stop());

  /** Opens a socket the way uWS would: upgrade with the query token, then open. */
  function connect(token?: string): UpgradedSocket {
    const socket = new UpgradedSocket(gateway);
    Object.assign(socket.data, gateway.connectionFor(token));
    gateway.onOpen(socket);
    return socket;
  }

  async function connected(rooms: string[] = ['r1'], tokenFor = tokens): Promise<UpgradedSocket> {
    ports.roomSets.rooms.set(alice.id, rooms);
    const socket = connect(await tokenFor.sign(alice));
    await settle();
    expect(socket.frames[0]).toMatchObject({ type: 'hello', data: { userId: alice.id } });
    return socket;
  }

  const send = (socket: FakeSocket, frame: object) => {
    const raw = JSON.stringify(frame);
    gateway.onMessage(socket, raw, Buffer.byteLength(raw));
  };


  it('joins every socket to the everyone topic at hello, and hands frames for everyone to it in one publish', async () => {
    const bare = connect();
    expect(bare.topics.has(EVERYONE_TOPIC)).toBe(false); // not before it is someone
    const socket = await connected([]);
    expect(socket.topics.has(EVERYONE_TOPIC)).toBe(true);
    const frame = eventFrame('room.created', { room: { id: 'r9' } });
    ports.broker.publishToEveryone(frame);
    expect(published).toContainEqual({ topic: EVERYONE_TOPIC, message: frame });
  });
  it('greets a socket subscribed to its rooms, and tells presence', async () => {
    const socket = await connected(['r1', 'r2']);
    expect([...socket.topics].sort()).toEqual([EVERYONE_TOPIC, 'r1', 'r2']);
    expect([...ports.broker.rooms].sort()).toEqual(['r1', 'r2']);
    expect(ports.broker.users.has(alice.id)).toBe(true);
    expect(ports.ops.types(Keys.presenceIn())).toContain('$presence.connect');
  });

  it('forwards an op to its room shard and delivers the reply and room events', async () => {
    const socket = await connected();
    send(socket, { type: 'message.send', ref: 's1', data: { roomId: 'r1', text: 'hi', clientMsgId: 'm1' } });
    await settle();
    expect(ports.ops.types(Keys.inStream(shardOf('r1', SHARDS)))).toEqual(['message.send']);
    const entry = ports.ops.entries.find((e) => e.stream === Keys.inStream(shardOf('r1', SHARDS)))!;
    expect(entry.fields).toMatchObject({ u: alice.id, g: 'gw-test', c: socket.data.id });

    const reply = '{"type":"reply","ref":"s1","ok":true,"data":{}}';
    ports.broker.publishToConnection(encodeDelivery({ c: socket.data.id }, reply));
    expect(socket.sent).toContain(reply);
    const event = eventFrame('message.created', { id: 'r1:1' });
    ports.broker.publishRoom('r1', encodeRoomEvent(event, 1));
    expect(published).toEqual([{ topic: 'r1', message: event }]);
  });

  it('times a room event from the commit stamped in its header, once per event', async () => {
    await connected();
    const latency = GatewayMetrics.get().deliveryLatency;
    const countOf = async () => (await latency.get()).values.find((v) => v.metricName === 'gateway_delivery_latency_seconds_count')?.value ?? 0;
    const before = await countOf();
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { id: 'r1:1' }), 1, Date.now() - 20));
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('typing.updated', {}))); // not stamped: not timed
    expect(await countOf()).toBe(before + 1);
  });

  it('answers ping itself and forwards nothing', async () => {
    const socket = await connected();
    const before = ports.ops.entries.length;
    send(socket, { type: 'ping', ref: 'p' });
    expect(socket.frames.slice(-2)).toEqual([{ type: 'pong' }, { type: 'reply', ref: 'p', ok: true, data: {} }]);
    expect(ports.ops.entries.length).toBe(before);
  });

  it('asks for a session sync when the room set is not loaded, and greets on the answer', async () => {
    const socket = connect(await tokens.sign(alice));
    await settle();
    expect(socket.frames).toEqual([]);
    expect(ports.ops.types()).toContain('$session.sync');
    ports.broker.publishToConnection(encodeDelivery({ c: socket.data.id, sync: ['r9'] }));
    await settle();
    expect(socket.frames[0]).toMatchObject({ type: 'hello' });
    expect(socket.topics.has('r9')).toBe(true);
  });

  it('closes 4001 when the sync answers that the user does not exist', async () => {
    const socket = connect(await tokens.sign(alice));
    await settle();
    ports.broker.publishToConnection(encodeDelivery({ c: socket.data.id, close: { code: 4001, reason: 'unknown user' } }));
    expect(socket.ended).toEqual([{ code: 4001, reason: 'unknown user' }]);
    expect(gateway.registry.countOf(alice.id)).toBe(0);
  });

  it('refuses a token issued before the user revocation', async () => {
    ports.roomSets.rooms.set(alice.id, []);
    ports.roomSets.revokedBefore.set(alice.id, Date.now() + 5000);
    const socket = connect(await tokens.sign(alice));
    await settle();
    expect(socket.ended).toEqual([{ code: 4001, reason: 'token revoked' }]);
    expect(socket.frames).toEqual([]);
  });

  it('closes every socket of a user on a close delivery (logout everywhere)', async () => {
    const one = await connected();
    const two = await connected();
    ports.broker.publishToUser(alice.id, encodeDelivery({ close: { code: 4001, reason: 'token revoked' } }));
    expect(one.ended).toEqual([{ code: 4001, reason: 'token revoked' }]);
    expect(two.ended).toEqual([{ code: 4001, reason: 'token revoked' }]);
    expect(ports.broker.users.has(alice.id)).toBe(false);
  });

  it('closes 4008 a socket over the per-user cap', async () => {
    await connected();
    await connected();
    const third = connect(await tokens.sign(alice));
    expect(third.ended).toEqual([{ code: 4008, reason: expect.stringContaining('too many connections') }]);
    expect(gateway.registry.countOf(alice.id)).toBe(2);
  });

  it('closes 4001 when the token expires, unless refreshed with a newer token', async () => {
    const expiring = await connected();
    const refreshed = await connected();
    const expiresAt = expiring.data.expiresAt!;
    const newer = await new TokenService(SECRET, 7200).sign(alice);
    send(refreshed, { type: 'auth.refresh', ref: 'x', data: { token: newer } });
    expect(refreshed.frames.at(-1)).toMatchObject({ type: 'reply', ref: 'x', ok: true, data: { expiresAt: expect.any(String) } });
    expect(ports.ops.types()).not.toContain('auth.refresh');

    gateway.sweep(expiresAt * 1000 - 1000);
    expect(expiring.ended).toEqual([]);
    gateway.sweep(expiresAt * 1000);
    expect(expiring.ended).toEqual([{ code: 4001, reason: 'token expired' }]);
    expect(refreshed.ended).toEqual([]);
  });

  it('closes 4001 a bare socket that never authenticates, after the auth timeout', () => {
    const bare = connect();
    gateway.sweep(bare.data.openedAt + OPTIONS.authTimeoutMs - 1);
    expect(bare.ended).toEqual([]);
    gateway.sweep(bare.data.openedAt + OPTIONS.authTimeoutMs);
    expect(bare.ended).toEqual([{ code: 4001, reason: 'authentication timeout' }]);
  });

  it('authenticates a bare socket with an auth frame', async () => {
    ports.roomSets.rooms.set(alice.id, []);
    const bare = connect();
    send(bare, { type: 'auth', data: { token: await tokens.sign(alice) } });
    await settle();
    expect(bare.frames[0]).toMatchObject({ type: 'hello' });
  });

  it('answers UNAVAILABLE when the op stream refuses', async () => {
    const socket = await connected();
    ports.ops.failing = new Error('down');
    send(socket, { type: 'room.list', ref: 'l' });
    await settle();
    expect(socket.frames.at(-1)).toMatchObject({ type: 'reply', ref: 'l', ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('asks every client to reconnect and resume when the broker link comes back', async () => {
    const socket = await connected();
    ports.broker.reconnect();
    expect(socket.ended).toEqual([{ code: 1012, reason: 'reconnect and resume' }]);
  });

  it('drains: not accepting from the first instant, then every socket closed 1001, spread over the window', async () => {
    const [first, second] = [await connected(), await connected()];
    const closesOf1001 = async () => (await GatewayMetrics.get().closes.get()).values.find((v) => v.labels.code === '1001')?.value ?? 0;
    const before = await closesOf1001();
    expect(gateway.draining).toBe(false);
    const drained = gateway.drain(400);
    expect(gateway.draining).toBe(true);
    expect([first.ended, second.ended]).toEqual([[{ code: 1001, reason: 'gateway shutting down' }], []]);
    await drained;
    expect(second.ended).toEqual([{ code: 1001, reason: 'gateway shutting down' }]);
    expect(await closesOf1001()).toBe(before + 2);
  });

  it('rejects a bad query token with 4001 on open', () => {
    const socket = connect('not-a-jwt');
    expect(socket.ended[0]?.code).toBe(4001);
  });

  it('gives uWS only the properties a socket needs (uWS copies each onto the socket)', async () => {
    const good = gateway.connectionFor(await tokens.sign(alice));
    expect(Object.keys(good)).toEqual(['id', 'user', 'expiresAt', 'openedAt', 'ready', 'closed', 'rooms', 'issuedAtMs']);
    expect(good.rooms).toBe(NO_ROOMS);
    expect(Object.keys(gateway.connectionFor(undefined))).toEqual(['id', 'user', 'expiresAt', 'openedAt', 'ready', 'closed', 'rooms']);
    expect(gateway.connectionFor('not-a-jwt')).toMatchObject({ user: undefined, rejected: expect.any(String) });
  });
});
