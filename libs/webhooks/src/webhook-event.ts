import { ChatEventOf, ChatEventType } from '@chat/protocol';

/** The JSON body of a webhook request (docs/protocol.md "Webhooks"). */
export interface WebhookEvent<T extends ChatEventType = ChatEventType> {
  /** Stable per event: every attempt, and every webhook, gets the same id (receivers dedupe on it). */
  id: string;
  type: T;
  roomId: string;
  /** The event's data, as on `chat:events` (libs/protocol ChatEventData). */
  data: ChatEventOf<T>;
  /** When the change was committed (ISO). */
  timestamp: string;
}

/** The room an event belongs to. */
export function roomOfEvent(type: ChatEventType, data: ChatEventOf<ChatEventType>): string {
  if (type === 'message.created' || type === 'message.updated') return (data as ChatEventOf<'message.created'>).message.roomId;
  // Every other event names its room.
  return (data as ChatEventOf<'message.deleted' | 'member.joined' | 'member.left' | 'reaction.added' | 'reaction.removed'>).roomId;
}

/**
 * An event's id from where it is stored: `chat:events:{3}` entry `1733212345678-0` →
 * `3-1733212345678-0`. A redelivered entry has the same id, so its jobs are the same jobs.
 */
export function webhookEventId(stream: string, entryId: string): string {
  const shard = /\{(\d+)\}$/.exec(stream)?.[1];
  if (shard === undefined) throw new Error(`not a chat:events stream: ${stream}`);
  return `${shard}-${entryId}`;
}

export function webhookEvent<T extends ChatEventType>(type: T, data: ChatEventOf<T>, id: string, appendedAtMs: number): WebhookEvent<T> {
  return { id, type, roomId: roomOfEvent(type, data), data, timestamp: new Date(appendedAtMs).toISOString() };
}
