import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { createRedis, StreamConsumer } from '@chat/redis';
import { RedisBatchCommitter } from './batch-committer.redis';
import { ShardFence } from './fence';
import { OwnedShard } from './shard-ownership';
import { BatchHandler, ShardWorker, ShardWorkerOptions, StreamWorkerMetrics } from './shard-worker';

export interface StreamWorkerSpec {
  fence: ShardFence;
  stream: string;
  group: string;
  handler: BatchHandler;
  onFenced: (shard: number) => void;
}

/**
 * Starts the ShardWorkers of one service instance, each on its own Redis connection (a
 * blocking read holds it; closing it is how a stopping worker's read is woken), and closes
 * whatever is still open when the instance stops.
 */
export class StreamWorkers {
  private readonly connections = new Set<Redis>();

  constructor(
    private readonly redisUrl: string,
    private readonly instanceId: string,
    private readonly options: ShardWorkerOptions,
    private readonly metrics: StreamWorkerMetrics,
    private readonly logger: Logger,
  ) {}

  /** Runs a worker until the returned handle's stop(), which also closes its connection. */
  start({ fence, stream, group, handler, onFenced }: StreamWorkerSpec): OwnedShard {
    const redis = createRedis(this.redisUrl, `${this.instanceId}:${stream}`, {}, this.logger);
    this.connections.add(redis);
    const consumer = new StreamConsumer(redis, stream, group, this.instanceId);
    const close = () => {
      this.connections.delete(redis);
      redis.disconnect();
    };
    const worker = new ShardWorker(fence, consumer, handler, new RedisBatchCommitter(redis), this.options, this.metrics, this.logger, close, onFenced);
    worker.start();
    return {
      stop: async () => {
        await worker.stop();
        close();
      },
    };
  }

  closeAll(): void {
    for (const c of this.connections) c.disconnect();
    this.connections.clear();
  }
}
