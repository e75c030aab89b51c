import { TokenService } from '@chat/auth';
import { memoryGatewayPorts } from '@chat/gateway-core';
import { encodeDelivery } from '@chat/protocol';
import { fakeLogger } from '../../../test/support/fakes';
import { DoorGateway } from './door-gateway';
import { SessionPool } from './session-pool';

const SECRET = 'session-pool-unit-test-secret-0123456789';
const alice = { id: 'u-alice', username: 'alice' };

describe('SessionPool', () => {
  const tokens = new TokenService(SECRET, 3600);
  let ports: ReturnType<typeof memoryGatewayPorts>;
  let door: DoorGateway;
  let pool: SessionPool;
  let opened: number;

  beforeEach(async () => {
    ports = memoryGatewayPorts();
    ports.roomSets.rooms.set(alice.id, []);
    door = new DoorGateway(
      { id: 'pool-test', shards: 2, heartbeatMs: 25_000, authTimeoutMs: 10_000, maxPendingFrames: 8, maxSocketsPerUser: 8, heartbeatIntervalMs: 60_000,
        rates: { connection: { frames: { perSecond: 1000, burst: 1000 }, sends: { perSecond: 1000, burst: 1000 } }, user: { windowMs: 60_000, frames: 1000, sends: 1000, syncMs: 100 } } },
      ports,
      tokens,
      { budget: { maxBytes: 1 << 20, maxFrames: 100 }, requestTimeoutMs: 1000 },
      fakeLogger(),
    );
    await door.start();
    opened = 0;
    pool = new SessionPool((token) => (opened++, door.openSession(token, { events: false })), 60_000);
  });
  afterEach(async () => {
    pool.close();
    await door.stop();
  });

  const hello = (session: { ready: Promise<{ connectionId: string }> }) => session.ready.then((h) => h.connectionId);

  it('runs the calls of one token on one session', async () => {
    const token = await tokens.sign(alice);
    const ids = await Promise.all([1, 2, 3].map(() => pool.use(token, async (s) => hello(s))));
    expect(new Set(ids).size).toBe(1);
    expect(opened).toBe(1);
    expect(door.stats().sessions).toBe(1);
  });

  it('gives another token of the same user a session of its own', async () => {
    const [one, two] = [await tokens.sign(alice), await tokens.sign(alice, Date.now() - 1000)];
    await pool.use(one, async () => undefined);
    await pool.use(two, async () => undefined);
    expect(pool.size).toBe(2);
  });

  it('rejects as the session does for a bad token, and keeps nothing', async () => {
    await expect(pool.use('not-a-jwt', async () => 'ran')).rejects.toMatchObject({ code: 4001 });
    await Promise.resolve();
    expect(pool.size).toBe(0);
  });

  it('closes a session idle past the limit, never one with a call in flight', async () => {
    const token = await tokens.sign(alice);
    let release!: () => void;
    const busy = pool.use(token, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setImmediate(r));
    pool.sweep(Date.now() + 120_000);
    expect(pool.size).toBe(1);
    release();
    await busy;
    pool.sweep(Date.now() + 59_000);
    expect(pool.size).toBe(1);
    pool.sweep(Date.now() + 60_000);
    expect(pool.size).toBe(0);
    expect(door.stats().sessions).toBe(0);
  });

  it('opens a new session after the server closed the pooled one (a revocation, an expiry)', async () => {
    const token = await tokens.sign(alice);
    const first = await pool.use(token, async (s) => hello(s));
    ports.broker.publishToUser(alice.id, encodeDelivery({ close: { code: 4001, reason: 'token revoked' } }));
    const second = await pool.use(token, async (s) => hello(s));
    expect(second).not.toBe(first);
    expect(opened).toBe(2);
  });
});
