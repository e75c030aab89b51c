import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisServerHandle, startRedisServer } from './redis-server';

const run = promisify(execFile);
const REDIS_CLI = process.env.REDIS_CLI_BIN || 'redis-cli';

/** A throwaway Redis Cluster on 127.0.0.1: `masters` primaries, each with `replicasPerMaster` replicas. */
export interface RedisClusterHandle {
  /** Every node, in creation order: the first `masters` were created as primaries. */
  nodes: RedisServerHandle[];
  /** `127.0.0.1:<port>,…` of every node: the value of REDIS_CLUSTER_NODES. */
  seeds: string;
  /** The node serving `slot` as primary now (after failovers too). */
  primaryOf(slot: number): Promise<RedisServerHandle>;
  /** Resolves once every slot is served and the cluster says `cluster_state:ok` on every live node. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a primary may be silent before its replica takes over (ms). */
  nodeTimeoutMs?: number;
}

/**
 * Starts `redis-server --cluster-enabled yes` × (masters × (1 + replicas)) on free ports and
 * joins them with `redis-cli --cluster create`. Each node keeps its nodes.conf in a temp dir
 * removed on stop. No persistence: a killed primary's data survives only on its replica.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-cluster-'));
  const nodes: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push(
        await startRedisServer({
          extraArgs: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', join(dir, `nodes-${i}.conf`),
            // A replica's full sync writes an RDB file: into the temp dir, not the cwd.
            '--dir', dir,
            '--dbfilename', `dump-${i}.rdb`,
            '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
            // A replica takes over however long it was cut off (tests kill primaries on purpose).
            '--cluster-replica-validity-factor', '0',
            '--cluster-require-full-coverage', 'no',
          ],
        }),
      );
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const cli = async (node: RedisServerHandle, ...args: string[]) => (await run(REDIS_CLI, ['-p', String(node.port), ...args], { timeout: 5000 })).stdout;
  const alive = async (node: RedisServerHandle) => (await cli(node, 'PING').catch(() => '')).trim() === 'PONG';

  const handle: RedisClusterHandle = {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    async primaryOf(slot) {
      for (const node of nodes) {
        if (!(await alive(node))) continue;
        const shards = await cli(node, 'CLUSTER', 'SLOTS');
        // redis-cli prints the nested reply one value per line: start, end, host, port, id, …
        const lines = shards.split('\n').map((l) => l.trim());
        for (let i = 0; i + 3 < lines.length; i++) {
          const start = Number(lines[i]);
          const end = Number(lines[i + 1]);
          if (/^\d+$/.test(lines[i]) && /^\d+$/.test(lines[i + 1]) && lines[i + 2] === '127.0.0.1' && start <= slot && slot <= end) {
            const port = Number(lines[i + 3]);
            const primary = nodes.find((n) => n.port === port);
            if (primary) return primary;
          }
        }
      }
      throw new Error(`no live primary serves slot ${slot}`);
    },
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(
          nodes.map(async (n) => ((await alive(n)) ? /cluster_state:ok/.test(await cli(n, 'CLUSTER', 'INFO').catch(() => '')) : true)),
        );
        if (states.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error('the Redis Cluster did not become healthy in time');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.waitHealthy();
  return handle;
}
