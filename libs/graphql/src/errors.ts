import { ChatError, ErrorCode } from '@chat/protocol';
import { GraphQLError, GraphQLFormattedError } from 'graphql';

/**
 * `extensions.code` of an answer to a persisted query's hash the server does not know: the
 * client sends the query text with its hash again (the APQ convention Apollo clients follow).
 */
export const PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND';

/** A request refused before execution (parse, validation, limits, persisted queries): BAD_REQUEST unless told. */
export function requestError(message: string, code: string = ErrorCode.BAD_REQUEST, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

const INTERNAL_MESSAGE = 'internal error';

/**
 * How every error leaves the door: a ChatError (thrown by a read, or the reply of an op) keeps
 * its protocol code and retryAfterMs in `extensions`; an error graphql-js raised itself (bad
 * syntax, unknown field, a variable of the wrong type) is BAD_REQUEST; anything else is a
 * fault of ours, INTERNAL with a fixed message (its own message may hold internals), and
 * `onInternal` sees it for the log.
 */
export function formatError(error: GraphQLError, onInternal: (error: unknown) => void): GraphQLFormattedError {
  const original = error.originalError;
  if (original instanceof ChatError) {
    const extensions = original.retryAfterMs === undefined ? { code: original.code } : { code: original.code, retryAfterMs: original.retryAfterMs };
    return { ...error.toJSON(), message: original.message, extensions };
  }
  if (original && !(original instanceof GraphQLError)) {
    onInternal(original);
    return { message: INTERNAL_MESSAGE, locations: error.locations, path: error.path, extensions: { code: ErrorCode.INTERNAL } };
  }
  const json = error.toJSON();
  return { ...json, extensions: { ...json.extensions, code: json.extensions?.code ?? ErrorCode.BAD_REQUEST } };
}
