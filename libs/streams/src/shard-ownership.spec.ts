import Redis from 'ioredis';
import { Keys, ShardLease } from '@chat/redis';
import { deferred } from '../../../test/support/deferred';
import { FakeLogger, fakeLogger } from '../../../test/support/fakes';
import { ShardFence } from './fence';
import { EpochSource, OwnedShard, ShardOwnership } from './shard-ownership';

const TTL_MS = 3000;
const TICK_MS = 1000; // a third of the TTL
const MARGIN_MS = 600; // a fifth of the TTL
const NOW = 1_700_000_000_000;
const INSTANCE = 'msg-test-1';

describe('ShardOwnership', () => {
  let log: string[];
  /** Shards whose lease another instance holds. */
  let heldElsewhere: Set<number>;
  let live: number;
  let issued: number;
  /** The last token the lease handed out per shard. */
  let acquiredTokens: Map<number, string>;
  let lease: {
    acquire: jest.Mock<Promise<string | null>, [number]>;
    renew: jest.Mock<Promise<boolean>, [number, string]>;
    release: jest.Mock<Promise<boolean>, [number, string]>;
    keyOf: (shard: number) => string;
  };
  let epochs: { advance: jest.Mock<Promise<number>, [number]> };
  let epochOf: Map<number, number>;
  /** The commands of every registry MULTI, one list per MULTI. */
  let multis: unknown[][][];
  let execError: Error | undefined;
  let redis: { multi: jest.Mock; zrem: jest.Mock<Promise<number>, [string, string]> };
  let workers: Map<number, { stop: jest.Mock<Promise<void>, []> }>;
  let fences: Map<number, ShardFence>;
  let fencedCallbacks: Map<number, (shard: number) => void>;
  let startShard: jest.Mock<OwnedShard, [ShardFence, (shard: number) => void]>;
  let onLost: jest.Mock<void, [number]>;
  let ownedGauge: jest.Mock<void, [number]>;
  let logger: FakeLogger;
  let ownership: ShardOwnership;

  function create(shards: number, registryKey?: string): ShardOwnership {
    return new ShardOwnership(
      redis as unknown as Redis,
      lease as unknown as ShardLease,
      epochs as EpochSource,
      { shards, instanceId: INSTANCE, leaseTtlMs: TTL_MS, registryKey },
      startShard,
      onLost,
      { ownedShards: { set: ownedGauge } },
      logger,
      () => Date.now(),
    );
  }

  const tokenOf = (shard: number) => fences.get(shard)!.token;
  const started = () => startShard.mock.calls.map(([fence]) => fence.shard).sort((a, b) => a - b);

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    log = [];
    heldElsewhere = new Set();
    live = 1;
    issued = 0;
    acquiredTokens = new Map();
    lease = {
      acquire: jest.fn(async (shard: number) => {
        if (heldElsewhere.has(shard)) return null;
        acquiredTokens.set(shard, `${INSTANCE}/t${++issued}`);
        return acquiredTokens.get(shard)!;
      }),
      renew: jest.fn(async (_shard: number, _token: string) => true),
      release: jest.fn(async (shard: number, token: string) => {
        log.push(`release ${shard} ${token}`);
        return true;
      }),
      keyOf: (shard: number) => `chat:lease:{${shard}}`,
    };
    epochOf = new Map();
    epochs = {
      advance: jest.fn(async (shard: number) => {
        epochOf.set(shard, (epochOf.get(shard) ?? 10) + 1);
        return epochOf.get(shard)!;
      }),
    };
    multis = [];
    execError = undefined;
    redis = {
      multi: jest.fn(() => {
        const commands: unknown[][] = [];
        multis.push(commands);
        const chain: Record<string, unknown> = {
          exec: jest.fn(async () => {
            if (execError) throw execError;
            return [
              [null, 1],
              [null, 0],
              [null, live],
            ];
          }),
        };
        for (const name of ['zadd', 'zremrangebyscore', 'zcard']) {
          chain[name] = (...args: unknown[]) => {
            commands.push([name, ...args]);
            return chain;
          };
        }
        return chain;
      }),
      zrem: jest.fn(async (_key: string, _member: string) => 1),
    };
    workers = new Map();
    fences = new Map();
    fencedCallbacks = new Map();
    startShard = jest.fn((fence: ShardFence, onFenced: (shard: number) => void) => {
      const shard = fence.shard;
      const worker = {
        stop: jest.fn(async () => {
          log.push(`stop ${shard}`);
        }),
      };
      workers.set(shard, worker);
      fences.set(shard, fence);
      fencedCallbacks.set(shard, onFenced);
      return worker;
    });
    onLost = jest.fn((shard: number) => void log.push(`lost ${shard}`));
    ownedGauge = jest.fn();
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
      expect(started()).toEqual([0, 1, 2, 3]);
      expect(ownedGauge).toHaveBeenLastCalledWith(4);
    });

    it('gives each worker a fence carrying its acquisition’s token, a freshly advanced epoch and the lease key', async () => {
      ownership = create(2);
      await ownership.start();
      for (const shard of [0, 1]) {
        const fence = fences.get(shard)!;
        expect(fence.shard).toBe(shard);
        expect(fence.token).toBe(acquiredTokens.get(shard));
        expect(fence.epoch).toBe(11);
        expect(fence.leaseKey).toBe(`chat:lease:{${shard}}`);
        expect(fence.valid).toBe(true);
        // Valid until a margin before the lease, acquired now, can expire.
        expect(fence.validForMs).toBe(TTL_MS - MARGIN_MS);
      }
      expect(epochs.advance.mock.calls.map(([s]) => s).sort()).toEqual([0, 1]);
      expect(fences.get(0)!.token).not.toBe(fences.get(1)!.token);
    });

    it('registers itself as live, forgets instances silent for two TTLs and counts the others, in ONE multi', async () => {
      ownership = create(4);
      await ownership.start();
      expect(multis).toEqual([
        [
          ['zadd', Keys.messagesInstances(), NOW, INSTANCE],
          ['zremrangebyscore', Keys.messagesInstances(), 0, NOW - 2 * TTL_MS],
          ['zcard', Keys.messagesInstances()],
        ],
      ]);
    });

    it('uses the registry key it is given', async () => {
      ownership = create(2, 'chat:presence:instances');
      await ownership.start();
      expect(multis[0][0]).toEqual(['zadd', 'chat:presence:instances', NOW, INSTANCE]);
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

    it('skips shards whose lease another instance holds, and advances no epoch for them', async () => {
      live = 2;
      heldElsewhere = new Set([0, 1]);
      ownership = create(4);
      await ownership.start();
      expect(ownership.shards).toEqual([2, 3]);
      expect(started()).toEqual([2, 3]);
      expect(epochs.advance.mock.calls.map(([s]) => s).sort()).toEqual([2, 3]);
    });

    it('a failing first tick is logged, not thrown; the next tick takes the shards', async () => {
      execError = new Error('connect ECONNREFUSED');
      ownership = create(2);
      await expect(ownership.start()).resolves.toBeUndefined();
      expect(ownership.shards).toEqual([]);
      expect(logger.warn).toHaveBeenCalledTimes(1);

      execError = undefined;
      await tick();
      expect(ownership.shards).toEqual([0, 1]);
    });

    it('an epoch that cannot be advanced gives the lease back (its token) and starts no worker; the next tick tries again', async () => {
      epochs.advance.mockRejectedValueOnce(Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' }));
      ownership = create(1);
      await ownership.start();
      expect(ownership.shards).toEqual([]);
      expect(startShard).not.toHaveBeenCalled();
      expect(lease.release).toHaveBeenCalledWith(0, `${INSTANCE}/t1`);

      await tick();
      expect(ownership.shards).toEqual([0]);
      expect(fences.get(0)!.token).toBe(`${INSTANCE}/t2`);
    });

    it('an acquisition that took longer than its fence allows gives the lease back and starts no worker', async () => {
      epochs.advance.mockImplementationOnce(async () => {
        jest.setSystemTime(Date.now() + TTL_MS - MARGIN_MS); // the epoch UPDATE waited that long
        return 11;
      });
      ownership = create(1);
      await ownership.start();
      expect(startShard).not.toHaveBeenCalled();
      expect(lease.release).toHaveBeenCalledWith(0, `${INSTANCE}/t1`);
      expect(ownership.shards).toEqual([]);
    });
  });

  describe('every tick', () => {
    it('renews what it owns, each lease with its own token, and takes nothing more at its share', async () => {
      ownership = create(3);
      await ownership.start();
      lease.acquire.mockClear();
      await tick();
      expect(lease.renew.mock.calls.sort(([a], [b]) => a - b)).toEqual([0, 1, 2].map((s) => [s, tokenOf(s)]));
      expect(lease.acquire).not.toHaveBeenCalled();
      expect(startShard).toHaveBeenCalledTimes(3);
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(6);
    });

    it('sends every renewal at once, without waiting for the others to answer', async () => {
      ownership = create(3);
      await ownership.start();
      const answers = [deferred<boolean>(), deferred<boolean>(), deferred<boolean>()];
      for (const answer of answers) lease.renew.mockImplementationOnce(() => answer.promise);
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(3);
      for (const answer of answers) answer.resolve(true);
      await jest.advanceTimersByTimeAsync(0);
      expect(ownership.shards).toEqual([0, 1, 2]);
    });

    it('a renewal extends the fence from when it was sent', async () => {
      ownership = create(1);
      await ownership.start();
      const fence = fences.get(0)!;
      await tick();
      expect(fence.validForMs).toBe(TTL_MS - MARGIN_MS);
      await jest.advanceTimersByTimeAsync(TTL_MS - MARGIN_MS - 1); // two more renewals on the way
      expect(fence.valid).toBe(true);
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

    it('hands back shards above its share when more instances are live: worker stopped first, then onLost, then the lease released with its token', async () => {
      ownership = create(4);
      await ownership.start();
      const [token2, token3] = [tokenOf(2), tokenOf(3)];
      const stopping = deferred();
      workers.get(2)!.stop.mockImplementationOnce(async () => {
        log.push('stop 2 begins');
        await stopping.promise;
        log.push('stop 2 ends');
      });
      live = 2;
      await tick();
      // The batch in hand is still being finished: the lease must not be freed yet, nor the fence revoked.
      expect(log).toEqual(['stop 2 begins', 'stop 3', 'lost 3', `release 3 ${token3}`]);
      expect(fences.get(2)!.valid).toBe(true);
      expect(ownership.shards).toEqual([0, 1]);

      stopping.resolve();
      await jest.advanceTimersByTimeAsync(0);
      expect(log).toEqual(['stop 2 begins', 'stop 3', 'lost 3', `release 3 ${token3}`, 'stop 2 ends', 'lost 2', `release 2 ${token2}`]);
      expect(fences.get(2)!.valid).toBe(false);
      expect(workers.get(0)!.stop).not.toHaveBeenCalled();
      expect(workers.get(1)!.stop).not.toHaveBeenCalled();
      expect(ownedGauge).toHaveBeenLastCalledWith(2);
    });

    it('a hand-back still stopping its worker does not hold the ticks: the other leases are renewed meanwhile', async () => {
      ownership = create(3);
      await ownership.start();
      const stopping = deferred();
      workers.get(2)!.stop.mockImplementationOnce(() => stopping.promise);
      live = 2; // share 2: shard 2 goes back
      await tick();
      lease.renew.mockClear();

      await tick();
      await tick();
      expect(lease.renew.mock.calls.map(([s]) => s).sort()).toEqual([0, 0, 1, 1]);
      expect(lease.release).not.toHaveBeenCalled();
      expect(fences.get(0)!.valid).toBe(true);
      stopping.resolve();
    });

    it('a shard being handed back is not taken again before its worker stopped', async () => {
      ownership = create(3);
      await ownership.start();
      const stopping = deferred();
      workers.get(2)!.stop.mockImplementationOnce(() => stopping.promise);
      live = 2;
      await tick();
      live = 1; // share back to 3: shard 2 would be free to take
      lease.acquire.mockClear();
      await tick();
      expect(lease.acquire).not.toHaveBeenCalledWith(2);
      expect(startShard).toHaveBeenCalledTimes(3);

      stopping.resolve();
      await tick();
      expect(lease.acquire).toHaveBeenCalledWith(2);
      expect(startShard).toHaveBeenCalledTimes(4);
      expect(ownership.shards).toEqual([0, 1, 2]);
    });

    it('a shard whose renewal is refused is lost: fence revoked, worker stopped, onLost, the lease not released', async () => {
      ownership = create(2);
      await ownership.start();
      lease.renew.mockImplementation(async (shard) => shard !== 1);
      heldElsewhere.add(1); // the new holder
      await tick();
      expect(fences.get(1)!.valid).toBe(false);
      expect(workers.get(1)!.stop).toHaveBeenCalledTimes(1);
      expect(onLost).toHaveBeenCalledWith(1);
      expect(onLost).toHaveBeenCalledTimes(1);
      expect(lease.release).not.toHaveBeenCalled();
      expect(ownership.shards).toEqual([0]);
      expect(workers.get(0)!.stop).not.toHaveBeenCalled();
      expect(fences.get(0)!.valid).toBe(true);
    });

    it('a shard whose fence deadline passed without a renewal is lost, though Redis never said so', async () => {
      ownership = create(2);
      await ownership.start();
      const unreachable = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' });
      lease.renew.mockRejectedValue(unreachable);
      execError = unreachable;

      await jest.advanceTimersByTimeAsync(2 * TICK_MS); // deadline NOW + 2400 not reached yet
      expect(onLost).not.toHaveBeenCalled();
      expect(ownership.shards).toEqual([0, 1]);

      await tick(); // NOW + 3000: past the deadline
      expect(workers.get(0)!.stop).toHaveBeenCalled();
      expect(workers.get(1)!.stop).toHaveBeenCalled();
      expect(onLost.mock.calls.map(([s]) => s).sort()).toEqual([0, 1]);
      expect(lease.release).not.toHaveBeenCalled();
      expect(ownership.shards).toEqual([]);
    });

    it('a lost shard that is free again is taken back on the same tick with a fresh worker, token and epoch', async () => {
      ownership = create(1);
      await ownership.start();
      const first = { worker: workers.get(0)!, fence: fences.get(0)! };
      lease.renew.mockResolvedValueOnce(false);
      await tick();
      expect(first.worker.stop).toHaveBeenCalledTimes(1);
      expect(onLost).toHaveBeenCalledWith(0);
      expect(startShard).toHaveBeenCalledTimes(2);
      expect(workers.get(0)).not.toBe(first.worker);
      expect(fences.get(0)!.token).not.toBe(first.fence.token);
      expect(fences.get(0)!.epoch).toBe(first.fence.epoch + 1);
      expect(first.fence.valid).toBe(false);
      expect(ownership.shards).toEqual([0]);
    });

    it('a worker fenced out loses its shard at once, and the shard is tried again on the next tick', async () => {
      ownership = create(2);
      await ownership.start();
      const fence = fences.get(1)!;
      fencedCallbacks.get(1)!(1);
      expect(ownership.shards).toEqual([0]);
      expect(fence.valid).toBe(false);
      expect(onLost).toHaveBeenCalledWith(1);
      expect(workers.get(1)!.stop).toHaveBeenCalledTimes(1);
      expect(lease.release).not.toHaveBeenCalled();

      await tick();
      expect(ownership.shards).toEqual([0, 1]);
      expect(fences.get(1)).not.toBe(fence);
    });

    it('never runs two ticks at once', async () => {
      ownership = create(1);
      await ownership.start();
      const renewing = deferred<boolean>();
      lease.renew.mockImplementationOnce(() => renewing.promise);
      await tick();
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(1);
      renewing.resolve(true);
      await jest.advanceTimersByTimeAsync(0);
      await tick();
      expect(lease.renew).toHaveBeenCalledTimes(2);
    });
  });

  describe('stop', () => {
    it('hands everything back: workers stopped, onLost, leases released with their tokens, instance deregistered', async () => {
      ownership = create(3);
      await ownership.start();
      const tokens = [0, 1, 2].map(tokenOf);
      await ownership.stop();
      for (const shard of [0, 1, 2]) {
        expect(workers.get(shard)!.stop).toHaveBeenCalledTimes(1);
        expect(lease.release).toHaveBeenCalledWith(shard, tokens[shard]);
        expect(log.indexOf(`stop ${shard}`)).toBeLessThan(log.indexOf(`release ${shard} ${tokens[shard]}`));
        expect(fences.get(shard)!.valid).toBe(false);
      }
      expect(onLost.mock.calls.map(([s]) => s).sort()).toEqual([0, 1, 2]);
      expect(redis.zrem).toHaveBeenCalledWith(Keys.messagesInstances(), INSTANCE);
      expect(ownership.shards).toEqual([]);
    });

    it('waits for hand-backs still in progress', async () => {
      ownership = create(2);
      await ownership.start();
      const stopping = deferred();
      workers.get(1)!.stop.mockImplementationOnce(() => stopping.promise);
      live = 2;
      await tick();
      let stopped = false;
      const done = ownership.stop().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(false);
      expect(redis.zrem).not.toHaveBeenCalled();

      stopping.resolve();
      await done;
      expect(lease.release).toHaveBeenCalledWith(1, tokenOf(1));
      expect(redis.zrem).toHaveBeenCalledTimes(1);
    });

    it('ticks no more after stop', async () => {
      ownership = create(2);
      await ownership.start();
      await ownership.stop();
      lease.renew.mockClear();
      lease.acquire.mockClear();
      redis.multi.mockClear();
      await jest.advanceTimersByTimeAsync(5 * TICK_MS);
      expect(lease.renew).not.toHaveBeenCalled();
      expect(lease.acquire).not.toHaveBeenCalled();
      expect(redis.multi).not.toHaveBeenCalled();
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
      const firstAcquire = deferred<string | null>();
      lease.acquire.mockImplementationOnce(() => firstAcquire.promise);
      await tick(); // tick in flight, blocked on its first acquire
      let stopped = false;
      const stopping = ownership.stop().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(false);

      firstAcquire.resolve(`${INSTANCE}/late`);
      await stopping;
      // The shard won in flight was handed back; no further shard was tried.
      expect(lease.acquire).toHaveBeenCalledTimes(1);
      expect(startShard).toHaveBeenCalledTimes(1);
      const shard = startShard.mock.calls[0][0].shard;
      expect(workers.get(shard)!.stop).toHaveBeenCalledTimes(1);
      expect(lease.release).toHaveBeenCalledWith(shard, `${INSTANCE}/late`);
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
