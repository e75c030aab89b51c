import Redis from 'ioredis';
import { OpStream } from './op-stream';

/**
 * XADD on the gateway's command connection. That connection auto-pipelines, so the appends
 * of one event-loop turn travel in one round trip, in call order.
 */
export class RedisOpStream implements OpStream {
  constructor(private readonly redis: Redis) {}

  async append(stream: string, fields: string[]): Promise<string> {
    const id = await this.redis.xadd(stream, '*', ...fields);
    if (id === null) throw new Error(`XADD to ${stream} stored nothing`);
    return id;
  }
}
