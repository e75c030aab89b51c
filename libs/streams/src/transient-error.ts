/**
 * Errors worth retrying the whole batch for (the database or Redis went away), as opposed to
 * errors of one op (bad input, constraint violations), which are answered and acknowledged.
 */
export function isTransientError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = String(e?.code ?? '');
  if (/^(08|57|53)/.test(code)) return true; // connection, operator intervention, insufficient resources
  if (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)/.test(code)) return true;
  // pg: a client whose connection broke mid-transaction, and a pool that cannot connect in time.
  return /Connection terminated|connection is closed|Connection is closed|ECONNREFUSED|MULTI aborted|not queryable|timeout exceeded when trying to connect/.test(String(e?.message ?? ''));
}
