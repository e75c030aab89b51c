import { ChatError, ErrorCode } from '@chat/protocol';
import { z } from 'zod';
import { invalidInput } from './invalid-input';

describe('invalidInput', () => {
  it('is a BAD_REQUEST naming where each issue is', () => {
    const result = z.object({ a: z.string(), b: z.object({ c: z.number() }) }).safeParse({ a: 1, b: { c: 'x' } });
    expect(result.success).toBe(false);
    const error = invalidInput(result.error!.issues, 'body');
    expect(error).toBeInstanceOf(ChatError);
    expect(error.code).toBe(ErrorCode.BAD_REQUEST);
    expect(error.message).toMatch(/^invalid body: a: .+; b\.c: .+$/);
  });

  it('accepts Standard Schema path segments and lists at most three issues', () => {
    const issues = [
      { message: 'one', path: [{ key: 'x' }, 0] },
      { message: 'two' },
      { message: 'three', path: [] },
      { message: 'four' },
      { message: 'five' },
    ];
    expect(invalidInput(issues).message).toBe('invalid request: x.0: one; two; three (and 2 more)');
  });

  it('still says something when there are no issues', () => {
    expect(invalidInput([]).message).toBe('invalid request: malformed');
  });
});
