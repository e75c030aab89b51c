import { ChatError, ErrorCode } from '@chat/protocol';
import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { toHttpError } from './http-error';

describe('toHttpError', () => {
  it('answers a ChatError with its code, message and the status of the code', () => {
    expect(toHttpError(new ChatError(ErrorCode.CONFLICT, 'username "a" is taken'))).toEqual({
      status: 409,
      body: { error: { code: 'CONFLICT', message: 'username "a" is taken' } },
      serverFault: false,
    });
    expect(toHttpError(new ChatError(ErrorCode.RATE_LIMITED, 'slow down', 1200)).body).toEqual({
      error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1200 },
    });
    expect(toHttpError(new ChatError(ErrorCode.UNAVAILABLE, 'db down'))).toMatchObject({ status: 503, serverFault: true });
  });

  it("maps Nest's exceptions by status", () => {
    expect(toHttpError(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'Cannot GET /nope' } },
      serverFault: false,
    });
    expect(toHttpError(new BadRequestException('Unexpected end of JSON input')).body.error.code).toBe('BAD_REQUEST');
    expect(toHttpError(new PayloadTooLargeException()).status).toBe(413);
  });

  it('folds other client statuses into BAD_REQUEST and hides server ones', () => {
    expect(toHttpError(new HttpException('Method Not Allowed', 405))).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST' } },
    });
    expect(toHttpError(new HttpException('secret detail', 502))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
      serverFault: true,
    });
  });

  it('answers anything else as INTERNAL without leaking its message', () => {
    for (const thrown of [new Error('password=hunter2 in connection string'), 'a string', undefined]) {
      expect(toHttpError(thrown)).toEqual({
        status: 500,
        body: { error: { code: 'INTERNAL', message: 'internal error' } },
        serverFault: true,
      });
    }
  });
});
