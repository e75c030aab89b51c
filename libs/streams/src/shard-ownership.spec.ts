import Redis from 'ioredis';
import { Keys, ShardLease } from '@chat/redis';
import { deferred } from '../../../test/support/deferred';
import { FakeLogger, fakeLogger } from '../../../test/support/fakes';
import { OwnedShard, ShardOwnership } from './shard-ownership';

const TTL_MS = 3000;
const TICK_MS = 1000; // a third of the TTL
const NOW = 1_700_000_000_000;
const INSTANCE = 'msg-test-1';

describe('ShardOwnership', () => {
  let log: string[];
  /** Shards whose lease another instance holds. */
  let heldElsewhere: Set<number>;
  let live: number;
  let lease: {
    acquire: jest.Mock<Promise<boolean>, [number]>;
    renew: jest.Mock<Promise<boolean>, [number]>;
    release: jest.Mock<Promise<boolean>, [number]>;
  };
  let redis: {
    zadd: jest.Mock<Promise<number>, [string, number, string]>;
    zremrangebyscore: jest.Mock<Promise<number>, [string, number, number]>;
    zcard: jest.Mock<Promise<number>, [string]>;
    zrem: jest.Mock<Promise<number>, [string, string]>;
  };
  let workers: Map<number, { stop: jest.Mock<Promise<void>, []> }>;
  let startShard: jest.Mock<OwnedShard, [number]>;
  let onLost: jest.Mock<void, [number]>;
  let ownedGauge: jest.Mock<void, [number]>;
  let logger: FakeLogger;
  let ownership: ShardOwnership;

  function create(shards: number, registryKey?: string): ShardOwnership {
    return new ShardOwnership(
      redis as unknown as Redis,
      lease as unknown as ShardLease,
      { shards, instanceId: INSTANCE, leaseTtlMs: TTL_MS, registryKey },
      startShard,
      onLost,
      { ownedShards: { set: ownedGauge } },
      logger,
    );
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    log = [];
    heldElsewhere = new Set();
    live = 1;
    lease = {
      acquire: jest.fn<Promise<boolean>, [number]>(async (shard: number) => !heldElsewhere.has(shard)),
      renew: jest.fn<Promise<boolean>, [number]>(async () => true),
      release: jest.fn<Promise<boolean>, [number]>(async (shard: number) => {
        log.push(`release ${shard}`);
        return true;
      }),
    };
    redis = {
      zadd: jest.fn<Promise<number>, [string, number, string]>(async () => 1),
      zremrangebyscore: jest.fn<Promise<number>, [string, number, number]>(async () => 0),
      zcard: jest.fn<Promise<number>, [string]>(async () => live),
      zrem: jest.fn<Promise<number>, [string, string]>(async () => 1),
    };
    workers = new Map();
    startShard = jest.fn<OwnedShard, [number]>((shard: number) => {
      const worker = {
        stop: jest.fn<Promise<void>, []>(async () => {
          log.push(`stop ${shard}`);
        }),
      };
      workers.set(shard, worker);
      return worker;
    });
    onLost = jest.fn<void, [number]>((shard: number) => void log.push(`lost ${shard}`));
    ownedGauge = jest.fn<void, [number]>();
    logger = fakeLogger();
  });

  afterEach(async () => {
    await ownership?.stop();
    jest.useRealTimers();
  });

  const tick = () => jest.advanceTimersByTimeAsync(TICK_MS);

  describe('start', () => {
    it('a lone instance owns every shard before start() resolves', async () => {
      ownership = create(4);
      await ownership.start();
      expect(ownership.shards).toEqual([0, 1, 2, 3]);
      expect(startShard.mock.calls.map(([s]) => s).sort()).toEqual([0, 1, 2, 3]);
      expect(ownedGauge).toHaveBeenLastCalledWith(4);
    });

    it('registers itself as live and forgets instances silent for two TTLs', async () => {
      ownership = create(4);
      await ownership.start();
      expect(redis.zadd).toHaveBeenCalledWith(Keys.messagesInstances(), NOW, INSTANCE);
      expect(redis.zremrangebyscore).toHaveBeenCalledWith(Keys.messagesInstances(), 0, NOW - 2 * TTL_MS);
      expect(redis.zcard).toHaveBeenCalledWith(Keys.messagesInstances());
    });

    it('uses the registry key it is given', async () => {
      ownership = create(2, 'chat:presence:instances');
      await ownership.start();
      expect(redis.zadd).toHaveBeenCalledWith('chat:presence:instances', NOW, INSTANCE);
      await ownership.stop();
      expect(redis.zrem).toHaveBeenCalledWith('chat:presence:instances', INSTANCE);
    });

    it.each([
      [5, 2, 3],
      [4, 2, 2],
      [4, 3, 2],
      [16, 3, 6],
      [2, 5, 1],
    ])('takes its fair share: %i shards over %i live instances → ceil = %i', async (shards, instances, share) => {
      live = instances;
      ownership = create(shards);
      await ownership.start();
      expect(ownership.shards).toHaveLength(share);
      expect(startShard).toHaveBeenCalledTimes(share);
      expect(lease.acquire).toHaveBeenCalledTimes(share);
    });

    it('skips shards whose lease another instance holds', async () => {
      live = 2;
      heldElsewhere = new Set([0, 1]);
      ownership = create(4);
      await ownership.start();
      expect(ownership.shards).toEqual([2, 3]);
      expect(startShard.mock.calls.map(([s]) => s).sort()).toEqual([2, 3]);
    });

    it('a failing first tick is logged, not thrown; the next tick takes the shards', async () => {
      redis.zadd.mockRejectedValueOnce(new Error('connect ECONNREFUSED'));
      ownership = create(2);
      await expect(ownership.start()).resolves.toBeUndefined();
      expect(ownership.shards).toEqual([]);
      expect(logger.warn).toHaveBeenCalledTimes(1);

      await tick();
      expect(ownership.shards).toEqual([0, 1]);
    });
  });

  describe('every tick', () => {
    it('renews what it owns and takes nothing more at its share', async () => {
      ownership = create(3);
      await ownership.start();
      lease.acquire.mockClear();
      await tick();
      expect(lease.renew.mock.calls.map(([s]) => s)).toEqual([0, 1, 2]);
      expect(lease.acquire).not.toHaveBeenCalled();
      expect(startShard).toHaveBeenCalledTimes(3);
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(6);
    });

    it('takes shards freed by a dead instance up to its share', async () => {
      live = 2;
      heldElsewhere = new Set([2, 3]);
      ownership = create(4);
      await ownership.start();
      expect(ownership.shards).toEqual([0, 1]);

      live = 1; // the other instance stopped ticking and dropped out of the registry
      heldElsewhere = new Set(); // its leases expired
      await tick();
      expect(ownership.shards).toEqual([0, 1, 2, 3]);
    });

    it('hands back shards above its share when more instances are live: worker stopped first, then the lease released', async () => {
      ownership = create(4);
      await ownership.start();
      expect(ownership.shards).toEqual([0, 1, 2, 3]);

      const stopping = deferred();
      workers.get(2)!.stop.mockImplementationOnce(async () => {
        log.push('stop 2 begins');
        await stopping.promise;
        log.push('stop 2 ends');
      });
      live = 2;
      await tick();
      // The batch in hand is still being finished: the lease must not be freed yet.
      expect(log).toEqual(['stop 2 begins']);
      expect(lease.release).not.toHaveBeenCalled();
      expect(ownership.shards).toEqual([0, 1, 3]);

      stopping.resolve();
      await jest.advanceTimersByTimeAsync(0);
      expect(log).toEqual(['stop 2 begins', 'stop 2 ends', 'lost 2', 'release 2', 'stop 3', 'lost 3', 'release 3']);
      expect(ownership.shards).toEqual([0, 1]);
      expect(workers.get(0)!.stop).not.toHaveBeenCalled();
      expect(workers.get(1)!.stop).not.toHaveBeenCalled();
      expect(ownedGauge).toHaveBeenLastCalledWith(2);
    });

    it('a shard whose renew fails is lost: its worker stops, onLost runs, the lease is not released', async () => {
      ownership = create(2);
      await ownership.start();
      lease.renew.mockImplementation(async (shard) => shard !== 1);
      heldElsewhere.add(1); // the new holder
      await tick();
      expect(workers.get(1)!.stop).toHaveBeenCalledTimes(1);
      expect(onLost).toHaveBeenCalledWith(1);
      expect(onLost).toHaveBeenCalledTimes(1);
      expect(lease.release).not.toHaveBeenCalled();
      expect(ownership.shards).toEqual([0]);
      expect(workers.get(0)!.stop).not.toHaveBeenCalled();
    });

    it('a lost shard that is free again is taken back on the same tick with a fresh worker', async () => {
      ownership = create(1);
      await ownership.start();
      const first = workers.get(0)!;
      lease.renew.mockResolvedValueOnce(false);
      await tick();
      expect(first.stop).toHaveBeenCalledTimes(1);
      expect(onLost).toHaveBeenCalledWith(0);
      expect(startShard).toHaveBeenCalledTimes(2);
      expect(workers.get(0)).not.toBe(first);
      expect(ownership.shards).toEqual([0]);
    });

    it('never runs two ticks at once', async () => {
      ownership = create(1);
      await ownership.start();
      const renewing = deferred<boolean>();
      lease.renew.mockImplementationOnce(() => renewing.promise);
      await tick();
      await tick();
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(1);
      renewing.resolve(true);
      await jest.advanceTimersByTimeAsync(0);
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(2);
    });

    // BUG (shard-ownership.ts rebalance()): only a renew that answers "not yours" (false)
    // stops a worker. When renew itself fails (Redis unreachable from this instance), the
    // tick throws before anything is lost, and the workers go on working for as long as the
    // outage lasts, well past the lease TTL, after which Redis has expired the lease and
    // another instance may own the shard. ShardLease's contract says the holder "must stop
    // work when renew fails"; at the latest once a full TTL passed without a successful renew.
    it('stops workers whose lease could not be renewed for a whole TTL (renew rejecting)', async () => {
      ownership = create(2);
      await ownership.start();
      lease.renew.mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' }));
      redis.zadd.mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' }));
      await jest.advanceTimersByTimeAsync(TTL_MS + TICK_MS);
      expect(workers.get(0)!.stop).toHaveBeenCalled();
      expect(workers.get(1)!.stop).toHaveBeenCalled();
      expect(onLost.mock.calls.map(([s]) => s).sort()).toEqual([0, 1]);
      expect(ownership.shards).toEqual([]);
    });
  });

  describe('stop', () => {
    it('hands everything back: workers stopped, onLost, leases released, instance deregistered', async () => {
      ownership = create(3);
      await ownership.start();
      await ownership.stop();
      for (const shard of [0, 1, 2]) {
        expect(workers.get(shard)!.stop).toHaveBeenCalledTimes(1);
        expect(lease.release).toHaveBeenCalledWith(shard);
        expect(log.indexOf(`stop ${shard}`)).toBeLessThan(log.indexOf(`release ${shard}`));
      }
      expect(onLost.mock.calls.map(([s]) => s).sort()).toEqual([0, 1, 2]);
      expect(redis.zrem).toHaveBeenCalledWith(Keys.messagesInstances(), INSTANCE);
      expect(ownership.shards).toEqual([]);
    });

    it('ticks no more after stop', async () => {
      ownership = create(2);
      await ownership.start();
      await ownership.stop();
      lease.renew.mockClear();
      lease.acquire.mockClear();
      redis.zadd.mockClear();
      await jest.advanceTimersByTimeAsync(5 * TICK_MS);
      expect(lease.renew).not.toHaveBeenCalled();
      expect(lease.acquire).not.toHaveBeenCalled();
      expect(redis.zadd).not.toHaveBeenCalled();
      expect(startShard).toHaveBeenCalledTimes(2);
    });

    it('waits for the tick in flight and takes no shard after it was asked to stop', async () => {
      live = 1;
      ownership = create(3);
      heldElsewhere = new Set([0, 1, 2]);
      await ownership.start();
      expect(ownership.shards).toEqual([]);
      lease.acquire.mockClear();

      heldElsewhere = new Set();
      const firstAcquire = deferred<boolean>();
      lease.acquire.mockImplementationOnce(() => firstAcquire.promise);
      await tick(); // tick in flight, blocked on its first acquire
      let stopped = false;
      const stopping = ownership.stop().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(false);

      firstAcquire.resolve(true);
      await stopping;
      // The shard won in flight was handed back; no further shard was tried.
      expect(lease.acquire).toHaveBeenCalledTimes(1);
      expect(startShard).toHaveBeenCalledTimes(1);
      const shard = startShard.mock.calls[0][0];
      expect(workers.get(shard)!.stop).toHaveBeenCalledTimes(1);
      expect(lease.release).toHaveBeenCalledWith(shard);
      expect(ownership.shards).toEqual([]);
    });

    it('a failing lease release does not fail stop', async () => {
      ownership = create(1);
      await ownership.start();
      lease.release.mockRejectedValueOnce(new Error('Connection is closed.'));
      await expect(ownership.stop()).resolves.toBeUndefined();
      expect(redis.zrem).toHaveBeenCalledTimes(1);
    });
  });
});
