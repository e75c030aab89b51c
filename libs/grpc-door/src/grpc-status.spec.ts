import { Metadata, status } from '@grpc/grpc-js';
import { DoorClosedError, DoorRequestError } from '@chat/door';
import { ErrorCode } from '@chat/protocol';
import { bearerToken, toGrpcError } from './grpc-status';
import { decodeRetryStatus } from './status-details';

describe('gRPC status of a door failure', () => {
  it.each([
    ['BAD_REQUEST', status.INVALID_ARGUMENT],
    ['UNAUTHORIZED', status.UNAUTHENTICATED],
    ['FORBIDDEN', status.PERMISSION_DENIED],
    ['NOT_FOUND', status.NOT_FOUND],
    ['CONFLICT', status.ALREADY_EXISTS],
    ['TOO_LARGE', status.INVALID_ARGUMENT],
    ['RATE_LIMITED', status.RESOURCE_EXHAUSTED],
    ['ROOM_FULL', status.FAILED_PRECONDITION],
    ['UNAVAILABLE', status.UNAVAILABLE],
    ['INTERNAL', status.INTERNAL],
  ] as const)('maps %s to %s, naming the protocol code in chat-error-code', (code, expected) => {
    const err = toGrpcError(new DoorRequestError({ code: ErrorCode[code], message: 'why' }));
    expect(err).toMatchObject({ code: expected, details: 'why' });
    expect(err.metadata.get('chat-error-code')).toEqual([code]);
    expect(err.metadata.get('retry-after-ms')).toEqual([]);
  });

  it('carries a delay as RetryInfo and retry-after-ms', () => {
    const err = toGrpcError(new DoorRequestError({ code: 'RATE_LIMITED', message: 'too many requests (user limit)', retryAfterMs: 1234 }));
    expect(err.metadata.get('retry-after-ms')).toEqual(['1234']);
    const details = err.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(decodeRetryStatus(details)).toEqual({ code: status.RESOURCE_EXHAUSTED, message: 'too many requests (user limit)', retryAfterMs: 1234 });
  });

  it.each([
    [4001, status.UNAUTHENTICATED, 'UNAUTHORIZED'],
    [4008, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED'],
    [4009, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED'],
    [1009, status.INVALID_ARGUMENT, 'TOO_LARGE'],
    [1001, status.UNAVAILABLE, 'UNAVAILABLE'],
    [1012, status.UNAVAILABLE, 'UNAVAILABLE'],
    [1013, status.UNAVAILABLE, 'UNAVAILABLE'],
  ])('maps a session closed %i to %s', (code, expected, chatCode) => {
    const err = toGrpcError(new DoorClosedError({ code, reason: 'because', byServer: true }));
    expect(err).toMatchObject({ code: expected, details: 'because' });
    expect(err.metadata.get('chat-error-code')).toEqual([chatCode]);
  });

  it('answers INTERNAL for anything unexpected, without its message', () => {
    expect(toGrpcError(new Error('secret detail'))).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
  });
});

describe('bearerToken', () => {
  const withAuth = (...values: string[]) => {
    const metadata = new Metadata();
    for (const v of values) metadata.add('authorization', v);
    return metadata;
  };
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc ', 'abc'],
    ['Basic abc', ''],
    ['Bearer', ''],
    ['Bearer a b', ''],
  ])('reads %j as %j', (value, token) => {
    expect(bearerToken(withAuth(value))).toBe(token);
  });
  it('is empty without the header', () => {
    expect(bearerToken(new Metadata())).toBe('');
  });
});
