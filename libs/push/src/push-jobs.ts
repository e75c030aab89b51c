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

/** The backoff type of push jobs (computed by fullJitterBackoff of libs/outbound-http). */
export const PUSH_BACKOFF = 'push';

/**
 * The job id of (message, user). Deterministic, so a `message.created` event handled twice
 * (redelivered, or re-emitted by a retried batch) enqueues once: BullMQ ignores an add whose
 * id exists. BullMQ ids may not contain ':', which message ids do.
 */
export function pushJobId(messageId: string, userId: string): string {
  return `${messageId.replace(/:/g, '/')}/${userId}`;
}
