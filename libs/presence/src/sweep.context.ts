import Redis from 'ioredis';
import { Logger } from '@chat/observability';
import { PresenceMetrics } from './presence.metrics';
import { PresenceStore } from './presence.store';
import { PublishOrderLock } from './publish-order.lock';

/** What every sweep works with; they share the processor's store and lock. */
export interface SweepContext {
  redis: Redis;
  store: PresenceStore;
  lock: PublishOrderLock;
  metrics: PresenceMetrics;
  logger: Logger;
}

/** Items one sweep step handles in one turn: big enough to be cheap, small enough not to hold up batches. */
export const SWEEP_CHUNK = 500;
/** Steps per kind and tick; what is left waits for the next tick, so one tick stays short. */
export const SWEEP_MAX_STEPS = 20;
