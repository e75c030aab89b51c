import { z } from 'zod';
import { Message } from './objects.schema';

/**
 * Durable changes the messages service appends to `chat:events:{shard}` (Keys.eventStream),
 * in the same fenced commit as the live events of the batch: an event exists only for a
 * committed change, and a retried batch re-appends it only when its first run never got
 * that far. Consumers (search, push, webhooks) read it through their own consumer groups and must
 * apply events idempotently (a consumer that dies mid-batch gets its entries again).
 *
 * Entry fields: `type` (one of ChatEventType), `data` (JSON of the type's schema), `t` (ms
 * since epoch when appended). Events of one room are appended in order (one shard, one owner).
 */
export const ChatEventData = {
  'message.created': z.object({ message: Message }),
  'message.updated': z.object({ message: Message }),
  'message.deleted': z.object({ roomId: z.string(), seq: z.number().int().positive(), id: z.string() }),
  'member.joined': z.object({ roomId: z.string(), userId: z.string() }),
  'member.left': z.object({ roomId: z.string(), userId: z.string(), reason: z.enum(['left', 'kicked', 'banned']) }),
  /** A user's reaction to a message, added or removed (consumed by webhooks). */
  'reaction.added': z.object({ roomId: z.string(), seq: z.number().int().positive(), messageId: z.string(), emoji: z.string(), userId: z.string() }),
  'reaction.removed': z.object({ roomId: z.string(), seq: z.number().int().positive(), messageId: z.string(), emoji: z.string(), userId: z.string() }),
} as const;

export type ChatEventType = keyof typeof ChatEventData;
export type ChatEventOf<T extends ChatEventType> = z.output<(typeof ChatEventData)[T]>;
export const CHAT_EVENT_TYPES = Object.keys(ChatEventData) as ChatEventType[];

export function isChatEventType(type: string): type is ChatEventType {
  return Object.prototype.hasOwnProperty.call(ChatEventData, type);
}
