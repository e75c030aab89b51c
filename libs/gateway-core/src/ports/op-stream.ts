/**
 * Where the gateway appends client ops for the services: named append-only streams.
 *
 * Guarantees an implementation gives:
 * - `append` resolves with the entry id once the entry is stored, and rejects when the store
 *   did not take it (the gateway then answers UNAVAILABLE: the client retries).
 * - Entries appended by one gateway to one stream are stored in the order of the calls, so a
 *   connection's ops reach their consumer in the order the client sent them.
 */
export interface OpStream {
  /** `fields` is a flat list of name, value, name, value … (libs/protocol envelopeFields). */
  append(stream: string, fields: string[]): Promise<string>;
}
