import { AuthSession, ChatHttpApi, TokenReason } from '@chat/client';

export interface SignedIn {
  session: AuthSession;
  /** The client's token source: the current token, or a new one to refresh or after expiry. */
  getToken(reason: TokenReason): Promise<string>;
}

/**
 * Signs in as a guest, or with `password` to a registered account, and keeps the session's
 * token fresh: a guest gets itself back with its last token; an account refreshes while its
 * token is valid and logs in again once it has expired.
 */
export async function signIn(api: ChatHttpApi, username: string, password?: string): Promise<SignedIn> {
  let session = password === undefined ? await api.guest(username) : await api.login(username, password);
  const renew = async (reason: TokenReason): Promise<AuthSession> => {
    if (password === undefined) return api.guest(username, session.token);
    return reason === 'refresh' ? api.refresh(session.token) : api.login(username, password);
  };
  return {
    session,
    getToken: async (reason) => {
      if (reason !== 'connect') session = await renew(reason);
      return session.token;
    },
  };
}
