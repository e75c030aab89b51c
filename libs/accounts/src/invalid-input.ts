import { ChatError, ErrorCode } from '@chat/protocol';

/** A validation issue as Standard Schema (zod 4, and Nest's schema pipe) reports it. */
export interface InputIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

const MAX_LISTED_ISSUES = 3;

/**
 * The BAD_REQUEST for input that failed its schema: the first few issues, each prefixed by
 * where it is, so a client developer sees what to fix without the full zod dump.
 */
export function invalidInput(issues: readonly InputIssue[], what = 'request'): ChatError {
  const described = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const path = (issue.path ?? []).map((s) => String(typeof s === 'object' && s !== null ? s.key : s)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length > MAX_LISTED_ISSUES ? ` (and ${issues.length - MAX_LISTED_ISSUES} more)` : '';
  return new ChatError(ErrorCode.BAD_REQUEST, `invalid ${what}: ${described.join('; ') || 'malformed'}${more}`);
}
