import { ChatError, ErrorCode } from '@chat/protocol';
import { bearerTokenOf } from './bearer-token';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof ChatError ? err.code : 'not a ChatError';
  }
}

describe('bearerTokenOf', () => {
  it('takes the token of a Bearer header, in any case of the scheme', () => {
    expect(bearerTokenOf('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerTokenOf('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerTokenOf('Bearer   abc.def.ghi ')).toBe('abc.def.ghi');
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc.def.ghi', 'Bearer a b', ['Bearer a', 'Bearer b']])(
    'answers UNAUTHORIZED to %p',
    (header) => {
      expect(codeOf(() => bearerTokenOf(header))).toBe(ErrorCode.UNAUTHORIZED);
    },
  );
});
