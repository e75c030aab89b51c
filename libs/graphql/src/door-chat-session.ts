import { DoorClosedError, DoorCloseCode, DoorRequestError, DoorSession, OpInput } from '@chat/door';
import { ChatError, ErrorCode, Op, OpDataOf, ReplyDataOf } from '@chat/protocol';
import type { ChatSession, SessionEvent } from './chat-session';

/**
 * A door's refusal as the ChatError resolvers throw: the reply's code; a session refused for
 * its token (4001: unknown user, revoked) UNAUTHORIZED; any other end of the session UNAVAILABLE.
 */
export function chatErrorOf(err: unknown): unknown {
  if (err instanceof DoorRequestError) return new ChatError(err.code, err.message, err.retryAfterMs);
  if (err instanceof DoorClosedError) {
    if (err.code === DoorCloseCode.UNAUTHORIZED) return new ChatError(ErrorCode.UNAUTHORIZED, err.message);
    return new ChatError(ErrorCode.UNAVAILABLE, `the chat session ended (${err.code}): ${err.message}`);
  }
  return err;
}

/** An op through a door session, refusals as ChatErrors. */
export async function requestThrough<O extends Op>(session: DoorSession, op: O, data: OpDataOf<O>): Promise<ReplyDataOf<O>> {
  try {
    // Parsed data is valid input: the ops' schemas accept their own output.
    return await session.request(op, data as OpInput<O>);
  } catch (err) {
    throw chatErrorOf(err);
  }
}

/**
 * A graphql-ws connection's chat session: one DoorSession (one connection of the chat, as a
 * WebSocket client's), shared by every subscription and operation of the connection. The
 * session has one event consumer; this hands each event to every subscription listening.
 */
export class DoorChatSession implements ChatSession {
  private readonly listeners = new Set<(event: SessionEvent) => void>();

  constructor(private readonly session: DoorSession) {
    session.onEvent((event) => {
      for (const listener of this.listeners) listener(event as SessionEvent);
    });
  }

  request<O extends Op>(op: O, data: OpDataOf<O>): Promise<ReplyDataOf<O>> {
    return requestThrough(this.session, op, data);
  }

  onEvent(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Runs work on a ready chat session of a token (libs/door's SessionPool). */
export interface DoorSessions {
  use<T>(token: string, work: (session: DoorSession) => Promise<T>): Promise<T>;
}

/** The chat session of one HTTP request: its ops go through `sessions` with the request's token; no events. */
export function requestChatSession(sessions: DoorSessions, token: string): ChatSession {
  return {
    request: async (op, data) => {
      try {
        return await sessions.use(token, (session) => requestThrough(session, op, data));
      } catch (err) {
        throw chatErrorOf(err);
      }
    },
    onEvent: () => {
      throw new ChatError(ErrorCode.BAD_REQUEST, 'subscriptions are served over graphql-transport-ws');
    },
  };
}
