import { Message, RoomKind } from '@chat/protocol';
import { PresenceReader } from '@chat/presence';
import { Database } from '@chat/store';

export interface Recipients {
  room: { name: string; kind: RoomKind };
  userIds: string[];
}

/**
 * Who gets a push for a new message: members other than the author who have a subscription
 * and whose level wants it (`all`; `mentions` when named or `@room`; never `none` — the
 * effective level is `chat_notify_level`, migration 005), and who are not reading: offline
 * (no connection left after the offline grace) or `away`. Never `online` or `dnd`.
 */
export class NotificationRecipients {
  constructor(
    private readonly db: Database,
    private readonly presence: PresenceReader,
  ) {}

  async of(message: Message): Promise<Recipients | undefined> {
    const rows = await this.db.query<{ name: string; kind: RoomKind; user_id: string }>(
      `SELECT r.name, r.kind, rm.user_id
       FROM rooms r JOIN room_members rm ON rm.room_id = r.id
       WHERE r.id = $1 AND rm.user_id <> $2
         AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = rm.user_id)
         AND CASE chat_notify_level(rm.notify_level, r.kind)
               WHEN 'all' THEN true
               WHEN 'mentions' THEN $4 OR rm.user_id = ANY($3::text[])
               ELSE false END`,
      [message.roomId, message.author.id, message.mentions ?? [], message.mentionsRoom === true],
    );
    if (rows.length === 0) return undefined;
    const statuses = await this.presence.statuses(rows.map((r) => r.user_id));
    const userIds = rows.map((r) => r.user_id).filter((id) => NOT_READING.has(statuses.get(id) ?? 'offline'));
    return { room: { name: rows[0].name, kind: rows[0].kind }, userIds };
  }
}

const NOT_READING: ReadonlySet<string> = new Set(['offline', 'away']);
