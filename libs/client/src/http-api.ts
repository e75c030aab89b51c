import { ChatRequestError } from './errors';
import type { ErrorCode, User } from '../../protocol/src/wire';

export interface AuthSession {
  token: string;
  user: User;
}

type Fetch = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

/**
 * The api's HTTP endpoints a client needs before and beside its socket (docs/protocol.md
 * "HTTP"): where the gateway is, logins, token refresh. Failures reject with ChatRequestError
 * carrying the api's error code.
 */
export class ChatHttpApi {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly fetchImpl: Fetch = (globalThis as unknown as { fetch: Fetch }).fetch,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  /** `GET /api/config`: the WebSocket URL clients should use, and whether guests may log in. */
  config(): Promise<{ wsUrl: string; guestLogin: boolean }> {
    return this.call('GET', '/api/config');
  }

  /** A guest session; `token` (a previous token of this guest) gets the same user back. */
  guest(username: string, token?: string): Promise<AuthSession> {
    return this.call('POST', '/api/auth/guest', { username, ...(token ? { token } : {}) });
  }

  register(username: string, password: string): Promise<AuthSession> {
    return this.call('POST', '/api/auth/register', { username, password });
  }

  login(username: string, password: string): Promise<AuthSession> {
    return this.call('POST', '/api/auth/login', { username, password });
  }

  /** A new token for the same user, while the current one is still valid. */
  refresh(token: string): Promise<AuthSession> {
    return this.call('POST', '/api/auth/refresh', undefined, token);
  }

  private async call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await this.fetchImpl(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json().catch(() => ({}))) as { error?: { code: ErrorCode; message: string; retryAfterMs?: number } };
    if (res.status === 200) return json as T;
    const error = json.error ?? { code: 'INTERNAL' as ErrorCode, message: `HTTP ${res.status}` };
    throw new ChatRequestError(error.code, `${method} ${path}: ${error.message}`, error.retryAfterMs);
  }
}
