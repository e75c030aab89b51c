import { ClientFrame } from './client-frames.schema';
import { roomOfMessageId } from './ids';

/**
 * The entity whose shard processes a frame. Every op on one room goes through that room's
 * shard, so one writer orders it. Ops with no room (room.create, room.list, resume, dm.open
 * handled by the DM's deterministic room) go by the user.
 */
export function routingKey(frame: ClientFrame, userId: string): string {
  const data = frame.data as { roomId?: string; messageId?: string } | undefined;
  if (data?.roomId) return data.roomId;
  if (data?.messageId) return roomOfMessageId(data.messageId) ?? userId;
  return userId;
}
