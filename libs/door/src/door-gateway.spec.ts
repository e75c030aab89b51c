import { TokenService } from '@chat/auth';
import { GatewayOptions, memoryGatewayPorts } from '@chat/gateway-core';
import { encodeDelivery, encodeRoomEvent, eventFrame, replyError, replyOk } from '@chat/protocol';
import { Keys } from '@chat/redis';
import { settle } from '../../../test/support/deferred';
import { fakeLogger } from '../../../test/support/fakes';
import { DoorClosedError, DoorRequestError } from './door-close';
import { DoorGateway } from './door-gateway';

const SECRET = 'door-unit-test-secret-0123456789abcdef';
const alice = { id: 'u-alice', username: 'alice' };
const OPTIONS: GatewayOptions = {
  id: 'door-test',
  shards: 4,
  heartbeatMs: 25_000,
  authTimeoutMs: 10_000,
  maxPendingFrames: 8,
  maxSocketsPerUser: 4,
  heartbeatIntervalMs: 60_000,
  rates: {
    connection: { frames: { perSecond: 1000, burst: 1000 }, sends: { perSecond: 1000, burst: 1000 } },
    user: { windowMs: 60_000, frames: 1000, sends: 1000, syncMs: 100 },
  },
};

describe('DoorGateway and DoorSession (in-memory ports)', () => {
  const tokens = new TokenService(SECRET, 3600);
  let ports: ReturnType<typeof memoryGatewayPorts>;
  let door: DoorGateway;

  beforeEach(async () => {
    ports = memoryGatewayPorts();
    ports.roomSets.rooms.set(alice.id, ['r1']);
    door = new DoorGateway(OPTIONS, ports, tokens, { budget: { maxBytes: 1 << 20, maxFrames: 5 }, requestTimeoutMs: 200 }, fakeLogger());
    await door.start();
  });
  afterEach(() => door.stop());

  /** The op frames the session forwarded into the streams, parsed. */
  const forwarded = () => ports.ops.entries.filter((e) => e.fields.f).map((e) => ({ ...e.fields, f: JSON.parse(e.fields.f) }));

  it('greets a session for a good token with hello, subscribed to its rooms, and tells presence', async () => {
    const session = door.openSession(await tokens.sign(alice));
    const hello = await session.ready;
    expect(hello).toMatchObject({ userId: alice.id, username: 'alice', connectionId: session.connectionId });
    expect(ports.broker.rooms.has('r1')).toBe(true);
    expect(ports.ops.types(Keys.presenceIn())).toContain('$presence.connect');
    expect(door.stats()).toMatchObject({ connections: 1, sessions: 1 });
  });

  it.each([
    ['a bad token', 'not-a-jwt'],
    ['no token', ''],
  ])('rejects ready for %s with a 4001 DoorClosedError', async (_what, token) => {
    const session = door.openSession(token);
    await expect(session.ready).rejects.toBeInstanceOf(DoorClosedError);
    await expect(session.ready).rejects.toMatchObject({ code: 4001 });
    expect(await session.closed).toMatchObject({ code: 4001, byServer: true });
    expect(door.stats()).toMatchObject({ connections: 0, sessions: 0 });
  });

  it('rejects ready for an expired token', async () => {
    const expired = await tokens.sign(alice, Date.now() - 7200_000);
    await expect(door.openSession(expired).ready).rejects.toMatchObject({ code: 4001 });
  });

  it('forwards a request as an op of its connection and resolves with the reply matched by ref', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    const reply = session.request('message.send', { roomId: 'r1', text: 'hi', clientMsgId: 'm1' });
    await settle();
    const [op] = forwarded().filter((e) => e.f.type === 'message.send');
    expect(op).toMatchObject({ u: alice.id, g: 'door-test', c: session.connectionId, f: { data: { text: 'hi' } } });
    ports.broker.publishToConnection(encodeDelivery({ c: session.connectionId }, replyOk(op.f.ref, { message: { id: 'r1:1' } })));
    await expect(reply).resolves.toEqual({ message: { id: 'r1:1' } });
  });

  it('rejects a request with the protocol error code and retryAfterMs of its error reply', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    const reply = session.request('room.join', { roomId: 'r2' });
    await settle();
    const op = forwarded().find((e) => e.f.type === 'room.join')!;
    ports.broker.publishToConnection(
      encodeDelivery({ c: session.connectionId }, replyError(op.f.ref, { code: 'FORBIDDEN', message: 'muted', retryAfterMs: 900 })),
    );
    const err = await reply.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DoorRequestError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', message: 'muted', retryAfterMs: 900 });
  });

  it('answers bad data BAD_REQUEST from the gateway itself, forwarding nothing', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    const before = ports.ops.entries.length;
    await expect(session.request('message.send', { roomId: 'r1', text: '', clientMsgId: 'm' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(ports.ops.entries.length).toBe(before);
  });

  it('rejects a request that gets no reply in time UNAVAILABLE', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    await expect(session.request('room.list')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('no reply') });
  });

  it('sends requests made before hello right after it, in order', async () => {
    ports.roomSets.rooms.delete(alice.id); // hello waits for the session sync
    const session = door.openSession(await tokens.sign(alice));
    const early = session.request('room.list');
    await settle();
    expect(ports.ops.types()).not.toContain('room.list');
    ports.broker.publishToConnection(encodeDelivery({ c: session.connectionId, sync: ['r1'] }));
    await session.ready;
    await settle();
    const op = forwarded().find((e) => e.f.type === 'room.list')!;
    ports.broker.publishToConnection(encodeDelivery({ c: session.connectionId }, replyOk(op.f.ref, { rooms: [] })));
    await expect(early).resolves.toEqual({ rooms: [] });
  });

  it('delivers room and user events to the iterator in order, and ends it on the client close', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { seq: 1 }), 1));
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { seq: 2 }), 2));
    ports.broker.publishToUser(alice.id, encodeDelivery({}, eventFrame('dm.opened', { room: { id: 'd1' } })));
    const got: unknown[] = [];
    const reading = (async () => {
      for await (const event of session.events()) got.push(event);
    })();
    await settle();
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { seq: 3 }), 3));
    await settle();
    session.close();
    await reading;
    expect(got).toEqual([
      { type: 'message.created', data: { seq: 1 } },
      { type: 'message.created', data: { seq: 2 } },
      { type: 'dm.opened', data: { room: { id: 'd1' } } },
      { type: 'message.created', data: { seq: 3 } },
    ]);
    expect(await session.closed).toEqual({ code: 1000, reason: 'closed by client', byServer: false });
    expect(ports.ops.types(Keys.presenceIn())).toContain('$presence.disconnect');
    expect(ports.broker.rooms.has('r1')).toBe(false);
  });

  it('cuts off a session whose reader falls behind, while another session of the room keeps everything', async () => {
    const slow = door.openSession(await tokens.sign(alice));
    const fast = door.openSession(await tokens.sign(alice));
    await Promise.all([slow.ready, fast.ready]);
    const fastGot: unknown[] = [];
    fast.onEvent((e) => void fastGot.push(e));
    for (let seq = 1; seq <= 8; seq++) ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { seq }), seq));
    expect(await slow.closed).toMatchObject({ code: 4009, byServer: true });
    expect(fastGot).toHaveLength(8);
    const iterating = slow.events().next();
    await expect(iterating).rejects.toMatchObject({ code: 4009 });
    expect(door.stats()).toMatchObject({ sessions: 1 });
  });

  it('fails pending requests and the event stream when the server closes the session (revocation)', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    const pending = session.request('room.list');
    ports.broker.publishToUser(alice.id, encodeDelivery({ close: { code: 4001, reason: 'token revoked' } }));
    await expect(pending).rejects.toMatchObject({ code: 4001, message: 'token revoked' });
    await expect(session.request('room.list')).rejects.toBeInstanceOf(DoorClosedError);
  });

  it('drops events of a session opened without them, still answering its requests', async () => {
    const session = door.openSession(await tokens.sign(alice), { events: false });
    await session.ready;
    for (let seq = 1; seq <= 20; seq++) ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { seq }), seq));
    expect(session.closeReason).toBeUndefined();
    expect(session.socket.queued).toBe(0);
  });

  it('refuses new sessions once draining (1001), and closes the open ones', async () => {
    const open = door.openSession(await tokens.sign(alice));
    await open.ready;
    const drained = door.drain(0);
    const late = door.openSession(await tokens.sign(alice));
    await expect(late.ready).rejects.toMatchObject({ code: 1001 });
    await drained;
    expect(await open.closed).toMatchObject({ code: 1001, byServer: true });
    expect(door.stats()).toMatchObject({ connections: 0, sessions: 0 });
  });
});
