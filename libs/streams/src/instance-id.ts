import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A service instance's name as it holds leases and consumes streams: readable in Redis
 * (host and pid tell an operator which process holds a shard) and unique across restarts.
 */
export function instanceId(service: string): string {
  return `${service}-${hostname().slice(0, 24)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
