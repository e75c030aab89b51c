import { ChatError, ErrorCode, NotifyLevel } from '@chat/protocol';
import type { RoomRepository } from '@chat/store';

/**
 * `PUT /api/rooms/:id/notify`: the caller's push notification level for a room they are in,
 * like the `notify.set` op. A member's own preference, seen by nobody else and with no order
 * to keep against other ops, so it is written here rather than through the room's shard.
 */
export class NotifyLevels {
  constructor(private readonly rooms: Pick<RoomRepository, 'findById' | 'setNotifyLevel'>) {}

  async set(userId: string, roomId: string, level: NotifyLevel): Promise<{ roomId: string; level: NotifyLevel }> {
    if (!(await this.rooms.findById(roomId))) throw new ChatError(ErrorCode.NOT_FOUND, `room "${roomId}" not found`);
    if (!(await this.rooms.setNotifyLevel(roomId, userId, level))) {
      throw new ChatError(ErrorCode.FORBIDDEN, `you are not a member of room ${roomId}`);
    }
    return { roomId, level };
  }
}
