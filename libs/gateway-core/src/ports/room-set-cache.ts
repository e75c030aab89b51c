/**
 * What the gateway needs to know about a user when a session opens, read in one round trip:
 * the rooms to subscribe the socket to, and since when the user's tokens are revoked.
 *
 * Guarantees an implementation gives:
 * - `rooms` is undefined when the set was never loaded (or was lost): the messages service
 *   loads it (`$session.sync`); an empty array means "loaded, in no room".
 * - `revokedBefore` (ms since epoch) is the latest revocation written for the user; tokens
 *   issued before it must not open a session. Absent when none was written.
 * - Both values are read together (one pipelined round trip), never one stale against the other
 *   by more than that round trip.
 */
export interface RoomSetCache {
  read(userId: string): Promise<SessionFacts>;
}

export interface SessionFacts {
  rooms?: string[];
  revokedBefore?: number;
}
