import type { Config } from '@chat/config';

/** What a web client needs before it can connect: `GET /api/config`. */
export interface ClientConfig {
  wsUrl: string;
  guestLogin: boolean;
}

/**
 * Without PUBLIC_WS_URL, the gateway is assumed on the host the client reached the api by,
 * which is right on a laptop and in docker-compose; behind a proxy, set PUBLIC_WS_URL.
 */
export function clientConfigFor(config: Config, requestHostname: string | undefined): ClientConfig {
  return {
    wsUrl: config.api.publicWsUrl ?? `ws://${hostForUrl(requestHostname)}:${config.gateway.port}/ws`,
    guestLogin: config.auth.guestLogin,
  };
}

function hostForUrl(hostname: string | undefined): string {
  if (!hostname) return 'localhost';
  // A bare IPv6 address needs brackets in a URL (Express already keeps them when present).
  return hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
}
