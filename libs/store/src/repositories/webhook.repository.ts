import { ChatError, ChatEventType, ErrorCode, Webhook, WebhookDelivery } from '@chat/protocol';
import { Database } from '../database';
import { iso } from '../rows';

interface WebhookRow {
  id: string;
  room_id: string;
  url: string;
  events: ChatEventType[];
  created_by: string;
  created_at: Date | string;
  enabled: boolean;
  failure_count: number;
  disabled_reason: string | null;
}

const WEBHOOK_COLUMNS = 'id, room_id, url, events, created_by, created_at, enabled, failure_count, disabled_reason';

function toWebhook(r: WebhookRow): Webhook {
  const webhook: Webhook = {
    id: r.id,
    roomId: r.room_id,
    url: r.url,
    events: r.events,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    enabled: r.enabled,
    failureCount: Number(r.failure_count),
  };
  if (r.disabled_reason !== null) webhook.disabledReason = r.disabled_reason;
  return webhook;
}

/** What a delivery needs of a webhook (its secret included: never shown after creation). */
export interface WebhookTarget {
  id: string;
  url: string;
  secret: string;
  enabled: boolean;
}

/** One delivery attempt to record. */
export interface WebhookAttempt extends Omit<WebhookDelivery, 'at'> {
  webhookId: string;
}

export interface AttemptPolicy {
  /** Failed attempts in a row that disable the webhook. */
  disableAfter: number;
  /** Attempts kept in the webhook's log. */
  logSize: number;
}

/** Webhooks of rooms and their delivery logs (migration 007). */
export class WebhookRepository {
  constructor(private readonly db: Database) {}

  /** Creates a webhook unless the room has `limit` already (counted under a lock on the room row); FORBIDDEN over it. */
  async create(hook: { id: string; roomId: string; url: string; events: ChatEventType[]; secret: string; createdBy: string }, limit: number): Promise<Webhook> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [hook.roomId]);
      const [{ count }] = await tx.query<{ count: number }>('SELECT count(*)::int AS count FROM webhooks WHERE room_id = $1', [hook.roomId]);
      if (count >= limit) throw new ChatError(ErrorCode.FORBIDDEN, `room ${hook.roomId} has ${count} webhooks already (at most ${limit})`);
      const rows = await tx.query<WebhookRow>(
        `INSERT INTO webhooks (id, room_id, url, events, secret, created_by) VALUES ($1, $2, $3, $4::text[], $5, $6)
         RETURNING ${WEBHOOK_COLUMNS}`,
        [hook.id, hook.roomId, hook.url, hook.events, hook.secret, hook.createdBy],
      );
      return toWebhook(rows[0]);
    });
  }

  async list(roomId: string): Promise<Webhook[]> {
    const rows = await this.db.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE room_id = $1 ORDER BY created_at, id`, [roomId]);
    return rows.map(toWebhook);
  }

  async find(roomId: string, id: string): Promise<Webhook | undefined> {
    const rows = await this.db.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE room_id = $1 AND id = $2`, [roomId, id]);
    return rows[0] && toWebhook(rows[0]);
  }

  /** Deletes the webhook and its log; false when the room has no such webhook. */
  async remove(roomId: string, id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM webhooks WHERE room_id = $1 AND id = $2 RETURNING id', [roomId, id])).length > 0;
  }

  /** Enables the webhook again with its failure count at 0; undefined when the room has no such webhook. */
  async reEnable(roomId: string, id: string): Promise<Webhook | undefined> {
    const rows = await this.db.query<WebhookRow>(
      `UPDATE webhooks SET enabled = true, failure_count = 0, disabled_reason = NULL WHERE room_id = $1 AND id = $2
       RETURNING ${WEBHOOK_COLUMNS}`,
      [roomId, id],
    );
    return rows[0] && toWebhook(rows[0]);
  }

  /** Ids of the room's enabled webhooks that want events of this type. */
  async wanting(roomId: string, type: ChatEventType): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>('SELECT id FROM webhooks WHERE room_id = $1 AND enabled AND $2 = ANY(events)', [roomId, type]);
    return rows.map((r) => r.id);
  }

  async target(id: string): Promise<WebhookTarget | undefined> {
    const rows = await this.db.query<WebhookTarget>('SELECT id, url, secret, enabled FROM webhooks WHERE id = $1', [id]);
    return rows[0];
  }

  /**
   * Records an attempt in one transaction: the log row (the log trimmed to `logSize`), the
   * failure count (0 after a success, +1 after a failure) and, when the count reaches
   * `disableAfter`, the webhook disabled with the reason. `disabled` is true only for the
   * attempt that disabled it. Nothing when the webhook was deleted meanwhile.
   */
  async recordAttempt(attempt: WebhookAttempt, policy: AttemptPolicy): Promise<{ disabled: boolean }> {
    return this.db.transaction(async (tx) => {
      const counted = await tx.query<{ failure_count: number; enabled: boolean }>(
        `UPDATE webhooks SET failure_count = CASE WHEN $2 THEN 0 ELSE failure_count + 1 END WHERE id = $1
         RETURNING failure_count, enabled`,
        [attempt.webhookId, attempt.outcome === 'delivered'],
      );
      if (counted.length === 0) return { disabled: false };
      await tx.query(
        `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, status, outcome, error, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [attempt.webhookId, attempt.eventId, attempt.eventType, attempt.attempt, attempt.status ?? null, attempt.outcome, attempt.error ?? null, attempt.durationMs],
      );
      await tx.query(
        `DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND id <= (
           SELECT id FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
        [attempt.webhookId, policy.logSize],
      );
      const failures = Number(counted[0].failure_count);
      if (!counted[0].enabled || failures < policy.disableAfter) return { disabled: false };
      const reason = `${failures} delivery attempts failed in a row; the last: ${attempt.error ?? `status ${attempt.status}`}`;
      await tx.query('UPDATE webhooks SET enabled = false, disabled_reason = $2 WHERE id = $1', [attempt.webhookId, reason]);
      return { disabled: true };
    });
  }

  /** The webhook's log, newest first. */
  async deliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.query<{
      event_id: string;
      event_type: ChatEventType;
      attempt: number;
      status: number | null;
      outcome: WebhookDelivery['outcome'];
      error: string | null;
      duration_ms: number;
      at: Date | string;
    }>(
      `SELECT event_id, event_type, attempt, status, outcome, error, duration_ms, at FROM webhook_deliveries
       WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`,
      [webhookId, limit],
    );
    return rows.map((r) => {
      const delivery: WebhookDelivery = {
        eventId: r.event_id,
        eventType: r.event_type,
        attempt: Number(r.attempt),
        outcome: r.outcome,
        durationMs: Number(r.duration_ms),
        at: iso(r.at),
      };
      if (r.status !== null) delivery.status = Number(r.status);
      if (r.error !== null) delivery.error = r.error;
      return delivery;
    });
  }
}
