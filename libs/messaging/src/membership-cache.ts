import { MemberRole } from '@chat/protocol';
import { MemberState, RoomRepository } from '@chat/store';
import { Membership } from './membership';

/**
 * Who belongs to each room, with role and mute, for the permission checks on every op.
 * Membership of a room only changes through ops on that room, which its shard's owner alone
 * processes, so the owner's cache is exact while it holds the lease. Cleared when a shard is
 * lost; absent rooms are never cached (a room created elsewhere appears on first touch).
 */
export class MembershipCache implements Membership {
  private readonly rooms = new Map<string, Map<string, MemberState>>();

  constructor(private readonly repo: RoomRepository) {}

  /** Members of an existing room, or undefined when the room does not exist. */
  async members(roomId: string): Promise<Map<string, MemberState> | undefined> {
    const cached = this.rooms.get(roomId);
    if (cached) return cached;
    const room = await this.repo.findById(roomId);
    if (!room) return undefined;
    const members = await this.repo.memberStates(roomId);
    this.rooms.set(roomId, members);
    return members;
  }

  joined(roomId: string, userId: string, role: MemberRole): void {
    this.rooms.get(roomId)?.set(userId, { role, mutedUntil: null });
  }

  left(roomId: string, userId: string): void {
    this.rooms.get(roomId)?.delete(userId);
  }

  update(roomId: string, userId: string, patch: Partial<MemberState>): void {
    const current = this.rooms.get(roomId)?.get(userId);
    if (current) Object.assign(current, patch);
  }

  /** Forgets everything (after an op failed half-way: what it cached may not have been committed). */
  clear(): void {
    this.rooms.clear();
  }

  /** Forgets rooms whose shard this instance no longer owns. */
  forget(predicate: (roomId: string) => boolean): void {
    for (const roomId of this.rooms.keys()) if (predicate(roomId)) this.rooms.delete(roomId);
  }
}
