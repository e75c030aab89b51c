import type { Config } from '@chat/config';
import type { NextFunction, Request, Response } from 'express';
import { clientConfigFor } from '../client-config/client-config';

// A Host header is client input: only a plain host name or address may go into the policy.
const SAFE_HOST = /^[A-Za-z0-9.\-[\]:]{1,255}$/;

/**
 * The Content-Security-Policy of the web client (served by this app) and of every api answer.
 * The client is files from this origin only — no inline script or style, nothing from a CDN —
 * and it opens one WebSocket, to the URL `/api/config` gives it.
 */
export function contentSecurityPolicy(config: Config, requestHostname: string | undefined): string {
  const host = requestHostname && SAFE_HOST.test(requestHostname) ? requestHostname : undefined;
  const wsUrl = config.api.publicWsUrl ?? (host ? clientConfigFor(config, host).wsUrl : undefined);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${wsUrl ? ` ${wsUrl}` : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Security headers on every response: CSP, no sniffing, no framing, no referrer. */
export function securityHeaders(config: Config) {
  return (request: Request, response: Response, next: NextFunction): void => {
    response.setHeader('Content-Security-Policy', contentSecurityPolicy(config, request.hostname));
    response.setHeader('X-Content-Type-Options', 'nosniff');
    // For browsers without CSP frame-ancestors.
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    next();
  };
}
