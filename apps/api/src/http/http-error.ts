import { ChatError, ErrorBody, ErrorCode, HTTP_STATUS_OF } from '@chat/protocol';
import { HttpException } from '@nestjs/common';

/** How an error is answered over HTTP: `{"error":{"code","message"}}` with the code's status. */
export interface HttpError {
  status: number;
  body: { error: ErrorBody };
  /** True for server faults, which are logged with their cause; client errors are not. */
  serverFault: boolean;
}

// Statuses Nest and Express raise themselves (404 unknown route, 400 body-parser, 413 size…).
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.BAD_REQUEST,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.TOO_LARGE,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.UNAVAILABLE,
};

const INTERNAL_MESSAGE = 'internal error';

export function toHttpError(error: unknown): HttpError {
  if (error instanceof ChatError) return answer(error.toBody());
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Any other 4xx (405, 415…) is still the client's mistake; any other 5xx is ours.
    const code = CODE_OF_STATUS[status] ?? (status >= 400 && status < 500 ? ErrorCode.BAD_REQUEST : ErrorCode.INTERNAL);
    return answer({ code, message: code === ErrorCode.INTERNAL ? INTERNAL_MESSAGE : error.message });
  }
  // Anything else is a bug or a broken dependency: its message may hold internals, so it stays in the log.
  return answer({ code: ErrorCode.INTERNAL, message: INTERNAL_MESSAGE });
}

function answer(body: ErrorBody): HttpError {
  const status = HTTP_STATUS_OF[body.code];
  return { status, body: { error: body }, serverFault: status >= 500 };
}
