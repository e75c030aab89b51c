import { Message } from '@chat/protocol';
import { JobsOptions, Queue } from 'bullmq';
import { NotificationRecipients } from './notification-recipients';
import { notificationOf } from './push-notification';
import { MESSAGE_JOB, PushJobData, pushJobId } from './push-jobs';
import { PushMetrics } from './push.metrics';

/**
 * Turns a new message into push jobs: one per member to notify, with a deterministic id so
 * the same event handled twice enqueues once. Resolves once the jobs are in Redis, so the
 * event is acknowledged only after that (a push instance killed in between gets the event
 * again, and the ids keep it from doubling).
 */
export class PushNotifier {
  constructor(
    private readonly recipients: NotificationRecipients,
    private readonly queue: Queue<PushJobData>,
    private readonly jobOptions: JobsOptions,
    /** Messages older than this when their event is read are not notified (seconds). */
    private readonly maxAgeSeconds: number,
    private readonly metrics: PushMetrics,
  ) {}

  async messageCreated(message: Message, now = Date.now()): Promise<number> {
    const createdAtMs = Date.parse(message.createdAt);
    if (now - createdAtMs > this.maxAgeSeconds * 1000) {
      this.metrics.skipped.inc();
      return 0;
    }
    const recipients = await this.recipients.of(message);
    if (!recipients || recipients.userIds.length === 0) return 0;
    const notification = notificationOf(message, recipients.room);
    await this.queue.addBulk(
      recipients.userIds.map((userId) => ({
        name: MESSAGE_JOB,
        data: { userId, notification, createdAtMs },
        opts: { ...this.jobOptions, jobId: pushJobId(message.id, userId) },
      })),
    );
    this.metrics.queued.inc(recipients.userIds.length);
    return recipients.userIds.length;
  }
}
