import { Ban, MemberRole, NotifyLevel, Room, RoomKind, RoomListing, userRef } from '@chat/protocol';
import { Database, Queryable } from '../database';
import { iso, ROOM_COLUMNS, RoomRow, toRoom } from '../rows';

export interface NewRoom {
  id: string;
  name: string;
  topic: string;
  kind: RoomKind;
  createdBy: string;
}

export interface MemberState {
  role: MemberRole;
  /** Epoch ms until which the member may not send, or null. */
  mutedUntil: number | null;
}

export interface MemberRecord {
  id: string;
  username: string;
  role: MemberRole;
  /** A bot account (absent for people). */
  bot?: true;
  /** ISO time until which the member may not write; absent when not muted now. */
  mutedUntil?: string;
}

/** Rooms and memberships. `member_count` is kept in step with `room_members` in one transaction. */
export class RoomRepository {
  constructor(private readonly db: Database) {}

  /** Creates a room with its creator as owner. */
  async create(room: NewRoom): Promise<Room> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO rooms (id, name, topic, kind, created_by, member_count) VALUES ($1, $2, $3, $4, $5, 1)`,
        [room.id, room.name, room.topic, room.kind, room.createdBy],
      );
      await tx.query(`INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        room.id,
        room.createdBy,
      ]);
      return (await this.findIn(tx, room.id))!;
    });
  }

  async findById(id: string): Promise<Room | undefined> {
    return this.findIn(this.db, id);
  }

  /** Adds a member (history before them counts as read); `added` is false when they already were one. */
  async addMember(roomId: string, userId: string, role: MemberRole = 'member'): Promise<{ added: boolean; room: Room }> {
    return this.db.transaction(async (tx) => {
      // A newcomer starts with everything before them read: joining is not 5,000 unread.
      const inserted = await tx.query(
        `INSERT INTO room_members (room_id, user_id, role, last_read_seq)
         SELECT $1, $2, $3, r.last_seq FROM rooms r WHERE r.id = $1
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [roomId, userId, role],
      );
      if (inserted.length > 0) {
        await tx.query('UPDATE rooms SET member_count = member_count + 1 WHERE id = $1', [roomId]);
      }
      return { added: inserted.length > 0, room: (await this.findIn(tx, roomId))! };
    });
  }

  /** Removes a member; false when they were not one. */
  async removeMember(roomId: string, userId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const deleted = await tx.query('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2 RETURNING user_id', [
        roomId,
        userId,
      ]);
      if (deleted.length > 0) {
        await tx.query('UPDATE rooms SET member_count = member_count - 1 WHERE id = $1', [roomId]);
      }
      return deleted.length > 0;
    });
  }

  async members(roomId: string): Promise<MemberRecord[]> {
    const rows = await this.db.query<{ id: string; username: string; role: MemberRole; muted_until: Date | string | null }>(
      `SELECT u.id, u.username, m.role, CASE WHEN m.muted_until > now() THEN m.muted_until END AS muted_until
       FROM room_members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = $1 ORDER BY m.joined_at, u.username`,
      [roomId],
    );
    return rows.map(({ id, username, role, muted_until }) => {
      const member: MemberRecord = { ...userRef(id, username), role };
      return muted_until ? { ...member, mutedUntil: iso(muted_until) } : member;
    });
  }

  /** Who is banned from a room, oldest ban first. */
  async bans(roomId: string): Promise<Ban[]> {
    const rows = await this.db.query<{ id: string; username: string; banned_by: string; reason: string; created_at: Date | string }>(
      `SELECT u.id, u.username, b.banned_by, b.reason, b.created_at FROM room_bans b JOIN users u ON u.id = b.user_id
       WHERE b.room_id = $1 ORDER BY b.created_at, u.username`,
      [roomId],
    );
    return rows.map((r) => ({ user: userRef(r.id, r.username), by: r.banned_by, reason: r.reason, at: iso(r.created_at) }));
  }

  /** Member id → role and mute, for the messages service's per-room permission cache. */
  async memberStates(roomId: string): Promise<Map<string, MemberState>> {
    const rows = await this.db.query<{ user_id: string; role: MemberRole; muted_until: Date | string | null }>(
      'SELECT user_id, role, muted_until FROM room_members WHERE room_id = $1',
      [roomId],
    );
    return new Map(
      rows.map((r) => [r.user_id, { role: r.role, mutedUntil: r.muted_until ? new Date(r.muted_until).getTime() : null }]),
    );
  }

  /** The user's role in the room; undefined when not a member. */
  async roleOf(roomId: string, userId: string): Promise<MemberRole | undefined> {
    const rows = await this.db.query<{ role: MemberRole }>('SELECT role FROM room_members WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
    return rows[0]?.role;
  }

  /** One membership probe by primary key, for permission checks that need no role. */
  async isMember(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
    return rows.length > 0;
  }

  async roomIdsOf(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ room_id: string }>('SELECT room_id FROM room_members WHERE user_id = $1', [userId]);
    return rows.map((r) => r.room_id);
  }

  /**
   * Public rooms and the user's rooms, with unread counts taken from seqs
   * (room.last_seq − member.last_read_seq): no count query over messages.
   */
  async listFor(userId: string, limit = 500): Promise<RoomListing[]> {
    const rows = await this.db.query<RoomRow & { joined: boolean; unread: number; notify: NotifyLevel }>(
      `SELECT ${ROOM_COLUMNS}, (m.user_id IS NOT NULL) AS joined,
              COALESCE(GREATEST(r.last_seq - m.last_read_seq, 0), 0) AS unread,
              chat_notify_level(m.notify_level, r.kind) AS notify
       FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = $1
       WHERE r.kind = 'public' OR m.user_id IS NOT NULL
       ORDER BY r.created_at, r.id LIMIT $2`,
      [userId, limit],
    );
    return rows.map((r) => ({
      ...toRoom(r),
      joined: Boolean(r.joined),
      unread: Number(r.unread),
      ...(r.joined ? { notify: r.notify } : {}),
    }));
  }

  /** Sets a member's notification level; false when they are not a member. */
  async setNotifyLevel(roomId: string, userId: string, level: NotifyLevel): Promise<boolean> {
    const rows = await this.db.query('UPDATE room_members SET notify_level = $3 WHERE room_id = $1 AND user_id = $2 RETURNING user_id', [
      roomId,
      userId,
      level,
    ]);
    return rows.length > 0;
  }

  /**
   * The DM room of a pair, created with both as members when absent. Concurrent calls for
   * one pair create it once (primary key on the derived id); `created` tells who did.
   */
  async openDm(id: string, a: { id: string; username: string }, b: { id: string; username: string }): Promise<{ room: Room; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const name = [a.username, b.username].sort().join(', ');
      const inserted = await tx.query(
        `INSERT INTO rooms (id, name, kind, created_by, member_count) VALUES ($1, $2, 'dm', $3, 2)
         ON CONFLICT DO NOTHING RETURNING id`,
        [id, name, a.id],
      );
      if (inserted.length > 0) {
        await tx.query(`INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'member'), ($1, $3, 'member')`, [
          id,
          a.id,
          b.id,
        ]);
      }
      return { room: (await this.findIn(tx, id))!, created: inserted.length > 0 };
    });
  }

  async isBanned(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM room_bans WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
    return rows.length > 0;
  }

  /** Bans a user: their membership goes and they cannot come back until unbanned. */
  async ban(roomId: string, userId: string, by: string, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const deleted = await tx.query('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2 RETURNING user_id', [roomId, userId]);
      if (deleted.length > 0) await tx.query('UPDATE rooms SET member_count = member_count - 1 WHERE id = $1', [roomId]);
      await tx.query(
        `INSERT INTO room_bans (room_id, user_id, banned_by, reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room_id, user_id) DO UPDATE SET banned_by = $3, reason = $4, created_at = now()`,
        [roomId, userId, by, reason],
      );
    });
  }

  /** False when the user was not banned. */
  async unban(roomId: string, userId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM room_bans WHERE room_id = $1 AND user_id = $2 RETURNING user_id', [roomId, userId])).length > 0;
  }

  async setMute(roomId: string, userId: string, until: Date | null): Promise<void> {
    await this.db.query('UPDATE room_members SET muted_until = $3 WHERE room_id = $1 AND user_id = $2', [roomId, userId, until]);
  }

  async setRole(roomId: string, userId: string, role: MemberRole): Promise<void> {
    await this.db.query('UPDATE room_members SET role = $3 WHERE room_id = $1 AND user_id = $2', [roomId, userId, role]);
  }

  /**
   * Moves a member's read marker forward to `seq` (never backwards, never past the room's
   * last seq) and returns where it stands; undefined when they are not a member.
   */
  async markRead(roomId: string, userId: string, seq: number): Promise<number | undefined> {
    const rows = await this.db.query<{ last_read_seq: number }>(
      `UPDATE room_members m SET last_read_seq = GREATEST(m.last_read_seq, LEAST($3::int, r.last_seq))
       FROM rooms r WHERE r.id = m.room_id AND m.room_id = $1 AND m.user_id = $2 RETURNING m.last_read_seq`,
      [roomId, userId, seq],
    );
    return rows[0] && Number(rows[0].last_read_seq);
  }

  private async findIn(q: Queryable, id: string): Promise<Room | undefined> {
    const rows = await q.query<RoomRow>(`SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.id = $1`, [id]);
    return rows[0] && toRoom(rows[0]);
  }
}
