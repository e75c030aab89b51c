import { Database } from '../database';

export interface RoomActivity {
  id: string;
  name: string;
  kind: 'public' | 'private' | 'dm';
  memberCount: number;
  /** Messages the room has had (its last seq). */
  messages: number;
  lastMessageAt: string;
}

/** Rooms by their latest message, for the operator's overview (not for users: it crosses every room). */
export class RoomActivityRepository {
  constructor(private readonly db: Database) {}

  async recentlyActive(limit: number): Promise<RoomActivity[]> {
    // The room's last message is found by primary key (room_id, seq = last_seq).
    const rows = await this.db.query<{ id: string; name: string; kind: RoomActivity['kind']; member_count: number; last_seq: number; at: Date | string }>(
      `SELECT r.id, r.name, r.kind, r.member_count, r.last_seq, m.created_at AS at
         FROM rooms r JOIN messages m ON m.room_id = r.id AND m.seq = r.last_seq
        WHERE r.last_seq > 0
        ORDER BY m.created_at DESC
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      memberCount: Number(r.member_count),
      messages: Number(r.last_seq),
      lastMessageAt: new Date(r.at).toISOString(),
    }));
  }
}
