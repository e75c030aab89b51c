import { Keys } from '@chat/redis';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { PERSISTED_QUERY_NOT_FOUND, requestError } from './errors';

/** Where persisted queries live: shared by api replicas (Redis), or one process (tests). */
export interface PersistedQueryStore {
  get(sha256: string): Promise<string | undefined>;
  set(sha256: string, query: string): Promise<void>;
}

/** The body (or GET parameters) of a GraphQL request, before anything is trusted. */
export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Automatic persisted queries (the convention Apollo clients speak): a request may name its
 * query by `extensions.persistedQuery.sha256Hash` alone. An unknown hash is answered
 * PERSISTED_QUERY_NOT_FOUND; the client then sends the text with the hash, the server checks
 * that the hash is the text's and keeps it, and from then on the hash is enough — also in a GET
 * that a CDN may cache. A hash is the text's fingerprint, so nobody can register a different
 * query under a known hash.
 */
export class PersistedQueries {
  constructor(private readonly store: PersistedQueryStore) {}

  /** The query text of a request; a GraphQLError (BAD_REQUEST, PERSISTED_QUERY_NOT_FOUND) when it has none. */
  async queryOf(request: GraphqlRequest): Promise<string> {
    const persisted = (request.extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery;
    if (persisted === undefined) {
      if (typeof request.query !== 'string' || request.query.trim() === '') throw requestError('the request has no query');
      return request.query;
    }
    const { version, sha256Hash } = (persisted ?? {}) as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1) throw requestError('extensions.persistedQuery.version must be 1');
    if (typeof sha256Hash !== 'string' || !SHA256_HEX.test(sha256Hash)) {
      throw requestError('extensions.persistedQuery.sha256Hash must be 64 lower-case hex digits');
    }
    if (request.query === undefined) {
      const known = await this.store.get(sha256Hash);
      if (known === undefined) throw requestError('PersistedQueryNotFound', PERSISTED_QUERY_NOT_FOUND);
      return known;
    }
    if (typeof request.query !== 'string' || sha256Hex(request.query) !== sha256Hash) {
      throw requestError('extensions.persistedQuery.sha256Hash is not the sha256 of the query');
    }
    await this.store.set(sha256Hash, request.query);
    return request.query;
  }
}

/** Persisted queries in Redis, each kept `ttlSeconds` after it was last registered or used. */
export class RedisPersistedQueryStore implements PersistedQueryStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async get(sha256: string): Promise<string | undefined> {
    return (await this.redis.getex(Keys.graphqlPersistedQuery(sha256), 'EX', this.ttlSeconds)) ?? undefined;
  }

  async set(sha256: string, query: string): Promise<void> {
    await this.redis.set(Keys.graphqlPersistedQuery(sha256), query, 'EX', this.ttlSeconds);
  }
}
