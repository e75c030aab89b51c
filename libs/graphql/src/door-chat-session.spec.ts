import { TokenService } from '@chat/auth';
import { DoorGateway, SessionPool } from '@chat/door';
import { GatewayOptions, memoryGatewayPorts } from '@chat/gateway-core';
import { ChatError, encodeDelivery, encodeRoomEvent, eventFrame, replyError, replyOk } from '@chat/protocol';
import { fakeLogger } from '../../../test/support/fakes';
import type { SessionEvent } from './chat-session';
import { DoorChatSession, requestChatSession } from './door-chat-session';

const alice = { id: 'u-alice', username: 'alice' };
const OPTIONS: GatewayOptions = {
  id: 'graphql-test',
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

describe('GraphQL on door sessions (in-memory gateway ports)', () => {
  const tokens = new TokenService('graphql-unit-test-secret-0123456789abcdef', 3600);
  let ports: ReturnType<typeof memoryGatewayPorts>;
  let door: DoorGateway;

  beforeEach(async () => {
    ports = memoryGatewayPorts();
    ports.roomSets.rooms.set(alice.id, ['r1']);
    door = new DoorGateway(OPTIONS, ports, tokens, { budget: { maxBytes: 1 << 20, maxFrames: 100 }, requestTimeoutMs: 1000 }, fakeLogger());
    await door.start();
  });
  afterEach(() => door.stop());

  /** Answers the next `type` op the door forwards, as the messages service would (after it was stored). */
  const answerNext = (type: string, answer: (ref: string) => string) =>
    new Promise<void>((resolve) => {
      const append = ports.ops.append.bind(ports.ops);
      ports.ops.append = async (stream, fields) => {
        const id = await append(stream, fields);
        const frame = JSON.parse(fields[fields.indexOf('f') + 1]);
        if (frame.type === type) {
          ports.ops.append = append;
          ports.broker.publishToConnection(encodeDelivery({ c: fields[fields.indexOf('c') + 1] }, answer(frame.ref)));
          resolve();
        }
        return id;
      };
    });

  it('DoorChatSession hands every event to every listener, in order, until it unsubscribes', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    const chat = new DoorChatSession(session);
    const first: SessionEvent[] = [];
    const second: SessionEvent[] = [];
    chat.onEvent((e) => first.push(e));
    const stop = chat.onEvent((e) => second.push(e));
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { roomId: 'r1', seq: 1 }), 1));
    stop();
    ports.broker.publishRoom('r1', encodeRoomEvent(eventFrame('message.created', { roomId: 'r1', seq: 2 }), 2));
    expect(first.map((e) => (e.data as { seq: number }).seq)).toEqual([1, 2]);
    expect(second.map((e) => (e.data as { seq: number }).seq)).toEqual([1]);
    session.close();
  });

  it('a reply error is a ChatError with its code and retryAfterMs', async () => {
    const session = door.openSession(await tokens.sign(alice));
    await session.ready;
    const answered = answerNext('reaction.add', (ref) => replyError(ref, { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 700 }));
    const request = new DoorChatSession(session).request('reaction.add', { messageId: 'r1:1', emoji: '👍' });
    await expect(request).rejects.toEqual(new ChatError('RATE_LIMITED', 'slow down', 700));
    await expect(request).rejects.toMatchObject({ retryAfterMs: 700 });
    await answered;
    session.close();
  });

  it('HTTP requests of one token share a pooled session for their ops, and get no events', async () => {
    const pool = new SessionPool((token) => door.openSession(token, { events: false }), 60_000);
    const token = await tokens.sign(alice);
    for (const seq of [4, 5]) {
      const chat = requestChatSession(pool, token);
      const answered = answerNext('read.mark', (ref) => replyOk(ref, { seq }));
      await expect(chat.request('read.mark', { roomId: 'r1', seq })).resolves.toEqual({ seq });
      await answered;
      expect(() => chat.onEvent(() => undefined)).toThrow(/graphql-transport-ws/);
    }
    expect(door.stats()).toMatchObject({ sessions: 1 });
    pool.close();
    expect(door.stats()).toMatchObject({ sessions: 0 });
  });

  it('a token the gateway refuses is UNAUTHORIZED, and no session stays open', async () => {
    const pool = new SessionPool((token) => door.openSession(token, { events: false }), 60_000);
    const chat = requestChatSession(pool, 'not-a-jwt');
    await expect(chat.request('presence.set', { status: 'away' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(door.stats()).toMatchObject({ sessions: 0 });
    expect(pool.size).toBe(0);
    pool.close();
  });
});
