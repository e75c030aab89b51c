import type { ServerDuplexStream } from '@grpc/grpc-js';
import { DoorClosedError, DoorRequestError, DoorSession } from '@chat/door';
import { ErrorCode } from '@chat/protocol';
import { actionToOp, ClientAction, resultData } from './chat-actions';
import { bearerToken, closeToGrpcError, GrpcStatusError } from './grpc-status';
import { protoEventOf, toProtoEvent } from './proto-objects';

type ServerEvent = Record<string, unknown>;
export type ChatStreamCall = ServerDuplexStream<ClientAction, ServerEvent>;

/**
 * ChatService.ChatStream: one door session per stream, as one WebSocket is one connection.
 * First `hello`, then every event in the order the gateway delivers it (seq order per room),
 * and a `result` per action that had a ref. Flow control: see UnflushedBacklog; a reader
 * that stays behind is cut off (4009 → RESOURCE_EXHAUSTED) and nobody else waits for it.
 * The client's half-close ends the stream once its actions are answered; a cancel closes the
 * session at once.
 */
export function serveChatStream(call: ChatStreamCall, openSession: (token: string) => DoorSession, maxUnflushedBytes: number): void {
  const session = openSession(bearerToken(call.metadata));
  const answering = new Set<Promise<void>>();
  let finished = false;

  const finish = (error?: GrpcStatusError) => {
    if (finished) return;
    finished = true;
    if (error) call.emit('error', error);
    else call.end();
  };

  session.ready.then(
    (hello) => {
      if (finished) return;
      call.write({ hello: { user_id: hello.userId, username: hello.username, connection_id: hello.connectionId } });
      const backlog = new UnflushedBacklog(maxUnflushedBytes, () => session.resume());
      session.onEvent((event, size) => finished || backlog.write(call, protoEventOf(event), size));
    },
    () => undefined, // the session's close says why
  );
  void session.closed.then((close) => {
    if (close.byServer) finish(closeToGrpcError(close));
  });

  call.on('data', (action: ClientAction) => {
    if (finished) return;
    const answer = answerAction(session, action, (event) => !finished && call.write(event));
    answering.add(answer);
    void answer.finally(() => answering.delete(answer));
  });
  call.on('end', () => {
    void Promise.all(answering).then(() => {
      finish();
      session.close('stream ended by client');
    });
  });
  call.on('cancelled', () => {
    finished = true;
    session.close('stream cancelled by client');
  });
}

/** Runs one action as its op; writes its result when it had a ref, or an `error` event when it failed without one. */
async function answerAction(session: DoorSession, action: ClientAction, write: (event: ServerEvent) => void): Promise<void> {
  const ref = action.ref || undefined;
  const request = actionToOp(action);
  if (!request) return fail(write, ref, { code: ErrorCode.BAD_REQUEST, message: 'ClientAction has no action set' });
  try {
    const reply = await session.request(request.op, request.data);
    if (ref !== undefined) write({ result: { ref, ok: true, ...resultData(request.op, reply) } });
  } catch (err) {
    if (err instanceof DoorClosedError) return; // the stream ends with the session's status
    const body = err instanceof DoorRequestError ? err : { code: ErrorCode.INTERNAL, message: 'internal error', retryAfterMs: undefined };
    fail(write, ref, { code: body.code, message: body.message, retryAfterMs: body.retryAfterMs });
  }
}

function fail(write: (event: ServerEvent) => void, ref: string | undefined, error: { code: string; message: string; retryAfterMs?: number }): void {
  const protoError = { code: error.code, message: error.message, retry_after_ms: error.retryAfterMs };
  if (ref !== undefined) write({ result: { ref, ok: false, error: protoError } });
  else write(toProtoEvent('error', error));
}

/**
 * What a stream has been handed but HTTP/2 has not taken yet (grpc-js calls a write's
 * callback once the message went out within the peer's flow-control window). grpc-js's own
 * write() says "full" at 16 messages, far less than one burst of a busy room, so the stream's
 * backlog is counted in bytes instead, with the same budget as a WebSocket's send buffer
 * (MAX_BACKPRESSURE_BYTES): past it the session stops handing events (they wait in its
 * DoorSocket, within the same budget again, past which it is cut off) until half of it is
 * flushed.
 */
class UnflushedBacklog {
  private bytes = 0;
  private paused = false;

  constructor(
    private readonly limit: number,
    private readonly resume: () => void,
  ) {}

  write(call: ChatStreamCall, event: ServerEvent, size: number): boolean {
    this.bytes += size;
    call.write(event, () => this.flushed(size));
    if (this.bytes <= this.limit) return true;
    this.paused = true;
    return false;
  }

  private flushed(size: number): void {
    this.bytes -= size;
    if (!this.paused || this.bytes > this.limit / 2) return;
    this.paused = false;
    this.resume();
  }
}
