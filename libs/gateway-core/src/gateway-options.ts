import type { Config } from '@chat/config';
import { GatewayOptions } from './gateway';

/** A gateway's options from the configuration; `id` names this gateway (a WebSocket one or a door). */
export function gatewayOptionsOf(config: Config, id: string): GatewayOptions {
  return {
    id,
    shards: config.shards,
    heartbeatMs: config.gateway.heartbeatMs,
    authTimeoutMs: config.gateway.authTimeoutMs,
    maxPendingFrames: config.gateway.maxPendingFrames,
    maxSocketsPerUser: config.gateway.maxSocketsPerUser,
    heartbeatIntervalMs: config.gateway.heartbeatIntervalMs,
    rates: config.rateLimits,
  };
}
