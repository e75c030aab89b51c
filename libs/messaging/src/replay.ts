import { eventFrameRaw, Envelope, ServerEvent } from '@chat/protocol';
import { MessageRepository } from '@chat/store';
import { ChatEffects } from '@chat/streams';

/**
 * Sends one connection what it missed in a room (seq > after) as `message.created` events,
 * oldest first. Used by `resume` and by the catch-up after a join; the caller's socket is
 * already subscribed, so anything newer arrives live and nothing falls in between.
 */
export async function replayMissed(
  messages: MessageRepository,
  out: ChatEffects,
  to: Envelope,
  roomId: string,
  after: number,
  limit: number,
): Promise<{ replayed: number; truncated: boolean; upTo: number }> {
  const missed = await messages.since(roomId, after, limit);
  for (const m of missed.messages) out.toConnection(to, {}, eventFrameRaw(ServerEvent.MESSAGE_CREATED, JSON.stringify(m)));
  return { replayed: missed.messages.length, truncated: missed.truncated, upTo: missed.messages.at(-1)?.seq ?? after };
}
