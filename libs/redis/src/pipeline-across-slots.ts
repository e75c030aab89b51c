import Redis, { ChainableCommander } from 'ioredis';
import { isCluster } from './redis-connection';

type Results = [Error | null, unknown][];

/**
 * A pipeline for a batch of commands on keys of several slots (many users, several shards).
 * On one server: a real pipeline, one round trip. On a cluster, where one pipeline must stay
 * on one node: a stand-in that records the commands (custom ones defined with defineCommand
 * too) and, at exec, sends them all at once — each to its node, in queue order per node, so
 * commands on one key still run in the order queued — and answers like a pipeline does:
 * `[error, result]` per command. Commands that must run together atomically belong in one
 * script (one slot), not in here.
 */
export function pipelineAcrossSlots(redis: Redis): ChainableCommander {
  if (!isCluster(redis)) return redis.pipeline();
  const queued: { name: string; args: unknown[] }[] = [];
  const client = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const exec = (): Promise<Results> =>
    Promise.all(
      queued.map(({ name, args }) =>
        client[name](...args).then(
          (result): [null, unknown] => [null, result],
          (err: Error): [Error, null] => [err, null],
        ),
      ),
    );
  const recorder: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_target, name) {
      if (name === 'exec') return exec;
      if (name === 'length') return queued.length;
      // Not a thenable: `await recorder` must not call it.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (...args: unknown[]) => {
        queued.push({ name, args });
        return recorder;
      };
    },
  });
  return recorder;
}
