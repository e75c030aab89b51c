import { MemberRole } from '@chat/protocol';
import { RoomRepository } from '@chat/store';

/**
 * Who belongs to each room, for the permission check on every send. Membership of a room
 * only changes through ops on that room, which its shard's owner alone processes, so the
 * owner's cache is exact while it holds the lease. Cleared when a shard is lost; absent
 * rooms are never cached (a room created elsewhere appears on first touch).
 */
export class MembershipCache {
  private readonly rooms = new Map<string, Map<string, MemberRole>>();

  constructor(private readonly repo: RoomRepository) {}

  /** Member → role of an existing room, or undefined when the room does not exist. */
  async roles(roomId: string): Promise<Map<string, MemberRole> | undefined> {
    const cached = this.rooms.get(roomId);
    if (cached) return cached;
    const room = await this.repo.findById(roomId);
    if (!room) return undefined;
    const roles = await this.repo.memberRoles(roomId);
    this.rooms.set(roomId, roles);
    return roles;
  }

  joined(roomId: string, userId: string, role: MemberRole): void {
    this.rooms.get(roomId)?.set(userId, role);
  }

  left(roomId: string, userId: string): void {
    this.rooms.get(roomId)?.delete(userId);
  }

  /** Forgets rooms whose shard this instance no longer owns. */
  forget(predicate: (roomId: string) => boolean): void {
    for (const roomId of this.rooms.keys()) if (predicate(roomId)) this.rooms.delete(roomId);
  }
}
