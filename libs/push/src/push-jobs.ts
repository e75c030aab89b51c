import { PushNotification } from './push-notification';

/** One notification to one user: a job of the push queue. */
export interface PushJobData {
  userId: string;
  notification: PushNotification;
  /** When the message was created (ms): push latency is measured from it. */
  createdAtMs: number;
  /** Endpoints an earlier try of this job delivered to: a retry sends only to the others. */
  delivered?: string[];
}

/** The BullMQ job name of a message notification. */
export const MESSAGE_JOB = 'message';

/** The backoff type of push jobs (PushBackoff computes it). */
export const PUSH_BACKOFF = 'push';

/**
 * The job id of (message, user). Deterministic, so a `message.created` event handled twice
 * (redelivered, or re-emitted by a retried batch) enqueues once: BullMQ ignores an add whose
 * id exists. BullMQ ids may not contain ':', which message ids do.
 */
export function pushJobId(messageId: string, userId: string): string {
  return `${messageId.replace(/:/g, '/')}/${userId}`;
}

/** An error that carries how long the push service asked us to wait (Retry-After). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * The delay before try `attemptsMade + 1`: exponential from `baseMs` with full jitter, but never
 * sooner than the push service's Retry-After.
 */
export function pushBackoff(baseMs: number, random: () => number = Math.random) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const exponential = Math.floor(random() * baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const asked = err instanceof RetryLater ? (err.retryAfterMs ?? 0) : 0;
    return Math.max(exponential, asked);
  };
}
