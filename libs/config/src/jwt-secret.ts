import { randomBytes } from 'node:crypto';

/** HS256 keys shorter than the hash output (32 bytes) weaken it; RFC 7518 §3.2 requires at least that. */
export const MIN_JWT_SECRET_BYTES = 32;

/**
 * Secrets that were ever written in this repository (defaults, compose and k8s placeholders,
 * test values): anyone can read them, so they sign nothing, in any environment.
 */
export const KNOWN_BAD_SECRETS: readonly string[] = [
  // the built-in dev secret of libs/config before it was removed
  'dev-only-secret-change-me-in-production',
  // docker-compose.yml's fallback
  'change-me-dev-only-jwt-secret-0000',
  // k8s/secret.yaml's placeholder
  'change-me-in-production-0123456789abcdef',
  // test and benchmark stacks (they use random secrets now)
  'stack-secret-for-tests-and-benchmarks',
  'integration-test-secret-0123456789',
];

/** Why a JWT_SECRET value is refused, or undefined when it is acceptable. */
export function jwtSecretProblem(secret: string): string | undefined {
  if (Buffer.byteLength(secret, 'utf8') < MIN_JWT_SECRET_BYTES) {
    return `must be at least ${MIN_JWT_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`;
  }
  if (KNOWN_BAD_SECRETS.includes(secret.trim())) {
    return 'is a value published in this repository; generate your own (e.g. openssl rand -base64 48)';
  }
  return undefined;
}

/**
 * The secret of a process that was given neither JWT_SECRET nor a secret file (unit and
 * integration tests parsing config in-process): random, but one per process, so an api and a
 * gateway started in the same process agree.
 */
export const PROCESS_EPHEMERAL_SECRET = randomBytes(48).toString('base64url');
