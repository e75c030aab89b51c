import { ClientFrame } from './client-frames.schema';
import { dmRoomId, roomOfMessageId } from './ids';

/**
 * The entity whose shard processes a frame. Every op on one room goes through that room's
 * shard, so one writer orders it. `dm.open` goes by the pair's DM room, so both sides
 * opening it at once meet on one shard. Ops with no room (room.create, room.list, resume)
 * go by the user.
 */
export function routingKey(frame: ClientFrame, userId: string): string {
  if (frame.type === 'dm.open') return dmRoomId(userId, frame.data.userId);
  const data = frame.data as { roomId?: string; messageId?: string } | undefined;
  if (data?.roomId) return data.roomId;
  if (data?.messageId) return roomOfMessageId(data.messageId) ?? userId;
  return userId;
}
