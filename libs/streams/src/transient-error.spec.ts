import { ChatError, ErrorCode } from '@chat/protocol';
import { isTransientError } from './transient-error';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  it.each([
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['08003', 'connection_does_not_exist'],
    ['57P01', 'admin_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['53300', 'too_many_connections'],
    ['53100', 'disk_full'],
  ])('PostgreSQL class 08/57/53 (%s, %s) is transient', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])(
    'socket error %s is transient',
    (code) => {
      expect(isTransientError(withCode(code))).toBe(true);
    },
  );

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Client has encountered a connection error and is not queryable',
    'timeout exceeded when trying to connect',
    'connection is closed',
    'Connection is closed.',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'MULTI aborted',
  ])('message "%s" is transient', (message) => {
    expect(isTransientError(new Error(message))).toBe(true);
  });

  it.each([
    ['23505', 'unique_violation'],
    ['23503', 'foreign_key_violation'],
    ['22001', 'string_data_right_truncation'],
    ['42P01', 'undefined_table'],
    ['40001', 'serialization_failure'],
  ])('PostgreSQL error %s (%s) is not transient', (code) => {
    expect(isTransientError(withCode(code, 'duplicate key value violates unique constraint'))).toBe(false);
  });

  it('a ChatError is not transient', () => {
    expect(isTransientError(new ChatError(ErrorCode.FORBIDDEN, 'no'))).toBe(false);
    expect(isTransientError(new ChatError(ErrorCode.UNAVAILABLE, 'later'))).toBe(false);
  });

  it('an ordinary bug is not transient', () => {
    expect(isTransientError(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isTransientError(new Error('boom'))).toBe(false);
  });

  it('codes match only at the start', () => {
    expect(isTransientError(withCode('XX08006'))).toBe(false);
    expect(isTransientError(withCode('E_ECONNREFUSED'))).toBe(false);
  });

  it.each([undefined, null, 'ECONNREFUSED', 42, {}, { code: 8006 }])('does not throw on %p and says false', (err) => {
    expect(isTransientError(err)).toBe(false);
  });

  it('reads a code or message from a plain object too', () => {
    expect(isTransientError({ code: '08006' })).toBe(true);
    expect(isTransientError({ message: 'Connection is closed.' })).toBe(true);
  });
});
