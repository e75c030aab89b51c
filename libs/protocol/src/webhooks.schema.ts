import { z } from 'zod';
import { CHAT_EVENT_TYPES, ChatEventType } from './chat-events.schema';

/**
 * Outgoing webhooks (docs/protocol.md "Webhooks"): a room's owner or moderators register
 * URLs that receive the room's durable events (those of `chat:events`, ChatEventData).
 */
export const WEBHOOK_EVENT_TYPES = CHAT_EVENT_TYPES;

/** `POST /api/rooms/:id/webhooks`. `events` absent: every event type. */
export const WebhookCreateBody = z.object({
  url: z.string().min(1).max(2048),
  events: z
    .array(z.enum(CHAT_EVENT_TYPES as [ChatEventType, ...ChatEventType[]]))
    .min(1)
    .max(CHAT_EVENT_TYPES.length)
    .transform((events) => [...new Set(events)])
    .optional(),
});
export type WebhookCreateBody = z.infer<typeof WebhookCreateBody>;

/** `PATCH /api/rooms/:id/webhooks/:webhookId`: re-enable a disabled webhook (its failure count starts over). */
export const WebhookUpdateBody = z.object({ enabled: z.literal(true) });
export type WebhookUpdateBody = z.infer<typeof WebhookUpdateBody>;

/** A webhook as its room's owner and moderators see it (never with its secret). */
export interface Webhook {
  id: string;
  roomId: string;
  url: string;
  events: ChatEventType[];
  createdBy: string;
  createdAt: string;
  enabled: boolean;
  /** Failed delivery attempts in a row (a success resets it). */
  failureCount: number;
  /** Why it was disabled (absent while enabled). */
  disabledReason?: string;
}

/** One delivery attempt of the log (`GET …/webhooks/:webhookId/deliveries`), newest first. */
export interface WebhookDelivery {
  /** The event's id (`X-Chat-Webhook-Event`), the same for every attempt of one event. */
  eventId: string;
  eventType: ChatEventType;
  /** 1 for the first try. */
  attempt: number;
  /** The receiver's HTTP status, absent when none came (network error, timeout, refused address). */
  status?: number;
  /** delivered (2xx), failed (will be retried unless attempts ran out or the webhook got disabled), refused (not retried: another 4xx, or an address the policy refuses). */
  outcome: 'delivered' | 'failed' | 'refused';
  error?: string;
  durationMs: number;
  at: string;
}
