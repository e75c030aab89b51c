import { Metadata, status } from '@grpc/grpc-js';
import { DoorClose, DoorClosedError, DoorCloseCode, DoorRequestError } from '@chat/door';
import { ErrorCode } from '@chat/protocol';
import { encodeRetryStatus } from './status-details';

/**
 * What a gRPC handler fails with (grpc-js reads `code`, `details` and `metadata` as the
 * status and trailers; Nest passes such an object through RpcException unchanged).
 */
export interface GrpcStatusError {
  code: status;
  details: string;
  message: string;
  metadata: Metadata;
}

/** The protocol's error codes as gRPC status codes (docs/protocol.md "gRPC door"). */
export const GRPC_STATUS_OF: Record<ErrorCode, status> = {
  BAD_REQUEST: status.INVALID_ARGUMENT,
  UNAUTHORIZED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  CONFLICT: status.ALREADY_EXISTS,
  TOO_LARGE: status.INVALID_ARGUMENT,
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  ROOM_FULL: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
};

/** A session's end as a gRPC status: what the client should do about it. */
function statusOfClose(code: number): { status: status; chatCode: ErrorCode } {
  switch (code) {
    case DoorCloseCode.UNAUTHORIZED:
      return { status: status.UNAUTHENTICATED, chatCode: ErrorCode.UNAUTHORIZED };
    case DoorCloseCode.TOO_MANY_CONNECTIONS:
    case DoorCloseCode.SLOW_CONSUMER:
      return { status: status.RESOURCE_EXHAUSTED, chatCode: ErrorCode.RATE_LIMITED };
    case DoorCloseCode.TOO_LARGE:
      return { status: status.INVALID_ARGUMENT, chatCode: ErrorCode.TOO_LARGE };
    default: // 1001 shutting down, 1012 reconnect and resume, 1013 try later
      return { status: status.UNAVAILABLE, chatCode: ErrorCode.UNAVAILABLE };
  }
}

/**
 * The status for a failure: the protocol code in the `chat-error-code` trailer, and when
 * there is a delay to wait, google.rpc.RetryInfo plus `retry-after-ms`.
 */
export function grpcError(code: status, chatCode: string, message: string, retryAfterMs?: number): GrpcStatusError {
  const metadata = new Metadata();
  metadata.set('chat-error-code', chatCode);
  if (retryAfterMs !== undefined) {
    metadata.set('retry-after-ms', String(retryAfterMs));
    metadata.set('grpc-status-details-bin', encodeRetryStatus(code, message, retryAfterMs));
  }
  return { code, details: message, message, metadata };
}

export function closeToGrpcError(close: DoorClose): GrpcStatusError {
  const { status: code, chatCode } = statusOfClose(close.code);
  return grpcError(code, chatCode, close.reason || `session closed (${close.code})`);
}

/** Any failure of a door call as a gRPC status; an unexpected error is INTERNAL without its details. */
export function toGrpcError(err: unknown): GrpcStatusError {
  if (err instanceof DoorRequestError) return grpcError(GRPC_STATUS_OF[err.code] ?? status.UNKNOWN, err.code, err.message, err.retryAfterMs);
  if (err instanceof DoorClosedError) return closeToGrpcError(err.close);
  if (isGrpcStatusError(err)) return err;
  return grpcError(status.INTERNAL, ErrorCode.INTERNAL, 'internal error');
}

export function isGrpcStatusError(err: unknown): err is GrpcStatusError {
  return typeof err === 'object' && err !== null && (err as GrpcStatusError).metadata instanceof Metadata && typeof (err as GrpcStatusError).code === 'number';
}

/** The bearer token of a call's `authorization` metadata; '' when there is none. */
export function bearerToken(metadata: Metadata): string {
  const [value] = metadata.get('authorization');
  if (typeof value !== 'string') return '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : '';
}
