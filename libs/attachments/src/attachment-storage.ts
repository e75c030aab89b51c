import type { Readable } from 'node:stream';

/**
 * Where the bytes of uploads live, behind one port: local disk under DATA_DIR (one
 * process, or replicas sharing a volume) or S3-compatible object storage (several hosts).
 * Keys are ours ([a-z0-9]); metadata stays in PostgreSQL.
 */
export interface AttachmentStorage {
  /** Which backend, for logs. */
  readonly kind: 'local' | 's3';
  /** Stores `size` bytes read from `body` under `key`; nothing is visible under the key unless it all arrived. */
  put(key: string, body: Readable, size: number): Promise<void>;
  /** The stored bytes; throws StoredObjectMissing when there are none. */
  get(key: string): Promise<Readable>;
  /** Removes the bytes; a key with nothing stored is fine. */
  delete(key: string): Promise<void>;
  /** Whether the backend answers (readiness). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export class StoredObjectMissing extends Error {
  constructor(key: string) {
    super(`no stored object under ${key}`);
    this.name = 'StoredObjectMissing';
  }
}

const KEY = /^[a-z0-9]{1,64}$/;

/** Keys are attachment ids: checked again here so no key can name a path outside the store. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`bad storage key ${JSON.stringify(key)}`);
}
