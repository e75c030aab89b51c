import type { EventDataMap, EventType, Op, OpDataOf, ReplyDataOf } from '@chat/protocol';

/** A server event as a WebSocket client would get it: its type and its data. */
export type SessionEvent = { [T in EventType]: { type: T; data: EventDataMap[T] } }[EventType];

/**
 * What mutations and subscriptions need of a chat session: the door's session (libs/door),
 * which goes through the same Redis Streams and channels as a WebSocket connection.
 */
export interface ChatSession {
  /** One op, as a client frame; resolves with its reply's data, rejects with a ChatError of the reply's code. */
  request<O extends Op>(op: O, data: OpDataOf<O>): Promise<ReplyDataOf<O>>;
  /** Every server event the session gets from now on, in arrival order; returns the unsubscribe. */
  onEvent(listener: (event: SessionEvent) => void): () => void;
}
