import { Database } from '@chat/store';
import { PushTarget } from './web-push-sender';

interface SubscriptionRow {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** Users' Web Push subscriptions (table push_subscriptions). */
export class PushSubscriptions {
  constructor(
    private readonly db: Database,
    /** Subscriptions kept per user: a new one beyond it replaces the oldest. */
    private readonly maxPerUser: number,
  ) {}

  /** Adds (or refreshes the keys of) one of the user's subscriptions. */
  async save(userId: string, { endpoint, keys }: PushTarget): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, created_at = now()`,
        [userId, endpoint, keys.p256dh, keys.auth],
      );
      await tx.query(
        `DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint NOT IN (
           SELECT endpoint FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, endpoint LIMIT $2)`,
        [userId, this.maxPerUser],
      );
    });
  }

  /** Removes one of the user's subscriptions; false when they had none at that endpoint. */
  async remove(userId: string, endpoint: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2 RETURNING endpoint', [userId, endpoint]);
    return rows.length > 0;
  }

  /** Forgets an endpoint its push service says is gone (404/410), for every user. */
  async prune(endpoint: string): Promise<number> {
    return (await this.db.query('DELETE FROM push_subscriptions WHERE endpoint = $1 RETURNING user_id', [endpoint])).length;
  }

  async of(userId: string): Promise<PushTarget[]> {
    const rows = await this.db.query<SubscriptionRow>(
      'SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, endpoint',
      [userId],
    );
    return rows.map((r) => ({ endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } }));
  }
}
