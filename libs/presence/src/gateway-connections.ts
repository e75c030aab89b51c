import type Redis from 'ioredis';
import { Keys, pipelineAcrossSlots } from '@chat/redis';

export interface GatewayConnections {
  gatewayId: string;
  /** Connections the gateway reported to the presence service (open sockets past hello). */
  connections: number;
  /** Its last heartbeat (ISO time): one older than GATEWAY_DEAD_AFTER_MS means it is being swept as dead. */
  lastHeartbeatAt: string;
}

/**
 * The live connections of every gateway, as the gateways reported them to the presence
 * service (`chat:presence:gateways`, `chat:gw-conns:<id>`): the cluster-wide view an operator
 * wants, which no single gateway's /metrics gives. Busiest first.
 */
export async function readGatewayConnections(redis: Redis): Promise<GatewayConnections[]> {
  const flat = await redis.zrange(Keys.gatewayHeartbeats(), '0', '-1', 'WITHSCORES');
  const gateways: { gatewayId: string; at: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) gateways.push({ gatewayId: flat[i], at: Number(flat[i + 1]) });
  if (gateways.length === 0) return [];
  const pipeline = pipelineAcrossSlots(redis);
  for (const g of gateways) pipeline.scard(Keys.gatewayConnections(g.gatewayId));
  const counts = (await pipeline.exec()) ?? [];
  return gateways
    .map((g, i) => ({ gatewayId: g.gatewayId, connections: Number(counts[i]?.[1] ?? 0), lastHeartbeatAt: new Date(g.at).toISOString() }))
    .sort((a, b) => b.connections - a.connections);
}
