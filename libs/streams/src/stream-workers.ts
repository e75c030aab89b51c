import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { createRedis, StreamConsumer } from '@chat/redis';
import { OwnedShard } from './shard-ownership';
import { BatchHandler, ShardWorker, ShardWorkerOptions, StreamWorkerMetrics } from './shard-worker';

export interface StreamWorkerSpec {
  shard: number;
  stream: string;
  group: string;
  handler: BatchHandler;
}

/**
 * Starts the ShardWorkers of one service instance, each on its own Redis connection (a
 * blocking read holds it), and closes whatever is still open when the instance stops.
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
  start({ shard, stream, group, handler }: StreamWorkerSpec): OwnedShard {
    const redis = createRedis(this.redisUrl, `${this.instanceId}:${stream}`, {}, this.logger);
    this.connections.add(redis);
    const consumer = new StreamConsumer(redis, stream, group, this.instanceId);
    const worker = new ShardWorker(shard, redis, consumer, handler, this.options, this.metrics, this.logger);
    worker.start();
    return {
      stop: async () => {
        await worker.stop();
        this.connections.delete(redis);
        redis.disconnect();
      },
    };
  }

  closeAll(): void {
    for (const c of this.connections) c.disconnect();
    this.connections.clear();
  }
}
