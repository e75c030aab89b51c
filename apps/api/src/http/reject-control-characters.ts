import { ChatError, ErrorCode } from '@chat/protocol';
import type { NextFunction, Request, Response } from 'express';
import { toHttpError } from './http-error';

// C0 controls (NUL included) and DEL: never part of an id, a number or a name we accept, and
// PostgreSQL refuses NUL in text outright (which would surface as a 500).
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Answers 400 BAD_REQUEST to a request whose path (decoded) or any query value holds a control
 * character or a malformed %-escape, before any route reads it. Runs before Nest's routing, so
 * it answers in our error shape itself.
 */
export function rejectControlCharacters() {
  return (request: Request, response: Response, next: NextFunction): void => {
    const problem = problemOf(request);
    if (!problem) return next();
    const { status, body } = toHttpError(new ChatError(ErrorCode.BAD_REQUEST, problem));
    response.status(status).json(body);
  };
}

function problemOf(request: Request): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(request.path);
  } catch {
    return 'malformed %-escape in the path';
  }
  if (CONTROL.test(path)) return 'control character in the path';
  let query: unknown;
  try {
    query = request.query;
  } catch {
    return 'malformed query string';
  }
  if (hasControl(query)) return 'control character in the query';
  return undefined;
}

function hasControl(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return CONTROL.test(value);
  if (depth > 5 || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, inner]) => CONTROL.test(key) || hasControl(inner, depth + 1));
}
