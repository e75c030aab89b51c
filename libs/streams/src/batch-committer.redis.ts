import Redis from 'ioredis';
import { isCluster, Keys, keySlot, LuaScript } from '@chat/redis';
import { BatchCommitter, Commit } from './batch-committer';
import { Effect } from './effects';
import { FencedError } from './fence';

const COMMIT_BATCH = new LuaScript(__dirname, 'commit-batch.lua');

/** Room-set cache writes: on a cluster, done before the fenced commit (see commitOnCluster). */
const BEFORE_COMMIT = new Set(['sadd', 'srem']);

/**
 * BatchCommitter on Redis: one EVALSHA of commit-batch.lua per batch, so the lease check,
 * every publish, the dead letters and the XACK + XTRIM are one atomic step and one round trip.
 * On a Redis Cluster a script may touch one slot only: see commitOnCluster.
 */
export class RedisBatchCommitter implements BatchCommitter {
  constructor(private readonly redis: Redis) {}

  async commit({ effects, ack, deadLetters = [], fence }: Commit): Promise<void> {
    const commands: Effect[] = [...effects];
    for (const dead of deadLetters) {
      const fields = [...dead.fields, 'dl.stream', dead.stream, 'dl.id', dead.id, 'dl.error', dead.error.slice(0, 2000), 'dl.at', String(Date.now())];
      commands.push(['xadd', Keys.deadLetters(dead.stream), '*', ...fields]);
    }
    if (ack && ack.ids.length > 0) {
      commands.push(['xack', ack.stream, ack.group, ...ack.ids]);
      // The shard's only reader processes entries in id order: everything older is acknowledged.
      if (ack.maxLen === undefined) commands.push(['xtrim', ack.stream, 'MINID', '~', ack.ids[ack.ids.length - 1]]);
      else commands.push(['xtrim', ack.stream, 'MAXLEN', '~', String(ack.maxLen)]);
    }
    if (commands.length === 0) return;
    if (isCluster(this.redis)) return this.commitOnCluster(commands, fence);
    await this.runScript(commands, fence);
  }

  /**
   * The shard's slot holds its lease, streams, dead letters, its rooms' channels and its
   * channels to gateways (hash tag `{shard}`), and a PUBLISH has no slot: all of that is
   * still one fenced script. What lies elsewhere runs outside it, one command each:
   * - the room-set cache (`chat:user-rooms:{user}`) before it: were the process to die after
   *   the script, the entries would be acknowledged and the change lost to the cache; before,
   *   a crash (or a FENCED) leaves the entries pending and the next owner writes it again;
   * - the rest (a room of another shard, e.g. the one room.create just made) after it, only
   *   once the fence held, so a deposed owner publishes nothing.
   * An unfenced commit (sweeps, settled events) is the same commands, one by one.
   */
  private async commitOnCluster(commands: Effect[], fence: Commit['fence']): Promise<void> {
    if (!fence) return this.runEach(commands);
    const slot = keySlot(fence.leaseKey);
    const inSlot: Effect[] = [];
    const before: Effect[] = [];
    const after: Effect[] = [];
    for (const command of commands) {
      if (command[0] === 'publish' || keySlot(command[1]) === slot) inSlot.push(command);
      else (BEFORE_COMMIT.has(command[0]) ? before : after).push(command);
    }
    await this.runEach(before);
    await this.runScript(inSlot, fence);
    await this.runEach(after);
  }

  /** Sends each command at once (each to its node) and waits for all: they touch different keys. */
  private async runEach(commands: Effect[]): Promise<void> {
    await Promise.all(commands.map(([command, ...args]) => this.redis.call(command, ...args)));
  }

  private async runScript(commands: Effect[], fence: Commit['fence']): Promise<void> {
    const args: string[] = [fence?.token ?? ''];
    for (const [command, ...rest] of commands) args.push(String(rest.length + 1), command, ...rest);
    try {
      await COMMIT_BATCH.run(this.redis, [fence?.leaseKey ?? ''], args);
    } catch (err) {
      if (String((err as Error).message).startsWith('FENCED')) {
        fence?.revoke();
        throw new FencedError((err as Error).message);
      }
      throw err;
    }
  }
}
