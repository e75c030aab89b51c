import { ClientFrame, Op } from './client-frames.schema';
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

/** Ops the gateway answers itself: never forwarded. */
export const GATEWAY_OPS = ['auth', 'auth.refresh', 'ping'] as const;
/** Ops for the presence service (`presence:in`). */
export const PRESENCE_OPS = ['typing.start', 'typing.stop', 'presence.set'] as const;
/**
 * Read-only ops: any messages instance answers them from `chat:reads`, off the ordered write
 * path of their shard, so a send never queues behind a history page. They need no order: a
 * client drops what it already has by seq.
 */
export const READ_OPS = ['room.list', 'room.members', 'room.bans', 'message.history', 'resume', 'user.lookup'] as const;
/** `search` goes to the search service (`chat:search`): any search instance answers. */
export const SEARCH_OPS = ['search'] as const;

export type GatewayOp = (typeof GATEWAY_OPS)[number];
export type PresenceOp = (typeof PRESENCE_OPS)[number];
export type ReadOp = Extract<Op, (typeof READ_OPS)[number]>;
export type SearchOp = (typeof SEARCH_OPS)[number];
/** Ops the owner of the room's shard applies, in stream order. */
export type WriteOp = Exclude<Op, GatewayOp | PresenceOp | ReadOp | SearchOp>;

const READ_OP_SET: ReadonlySet<string> = new Set(READ_OPS);
const PRESENCE_OP_SET: ReadonlySet<string> = new Set(PRESENCE_OPS);

export function isReadOp(type: string): type is ReadOp {
  return READ_OP_SET.has(type);
}

export function isSearchOp(type: string): type is SearchOp {
  return type === 'search';
}

export function isPresenceOp(type: string): type is PresenceOp {
  return PRESENCE_OP_SET.has(type);
}
