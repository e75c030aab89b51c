import Redis from 'ioredis';
import { Keys, LuaScript } from '@chat/redis';
import { BatchCommitter, Commit } from './batch-committer';
import { Effect } from './effects';
import { FencedError } from './fence';

const COMMIT_BATCH = new LuaScript(__dirname, 'commit-batch.lua');

/**
 * BatchCommitter on Redis: one EVALSHA of commit-batch.lua per batch, so the lease check,
 * every publish, the dead letters and the XACK + XTRIM are one atomic step and one round trip.
 * (On Redis Cluster the keys of one commit span slots; there this needs a cluster-aware
 * variant per slot — see docs/architecture.md.)
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
