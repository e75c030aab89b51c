import { User } from '@chat/protocol';

/**
 * The `rooms` of a socket in no room: one frozen array shared by every such socket (most idle
 * sockets), replaced by a socket's own array at its first join (see RoomSubscriptions).
 */
export const NO_ROOMS: string[] = Object.freeze([]) as unknown as string[];

/**
 * What the gateway keeps per connection. Kept small: 50,000 of these live on one gateway, and
 * uWS copies every property of it onto the socket object itself, into a property array that
 * grows 3 slots at a time. So a property is only created when the socket needs it (a bad
 * token's `rejected`, the rate limiter's buckets at the first limited frame, `typingIn`),
 * numbers that stay are small integers where they can be (`expiresAt` in seconds), and what
 * serves only until `hello` is dropped then (`issuedAtMs`, `queued`).
 */
export interface ConnectionData {
  id: string;
  /** Set once the token is verified; the same object for every socket of the user on this gateway. */
  user?: User;
  /** The token's `exp` (seconds since epoch): the socket is closed 4001 then unless refreshed. */
  expiresAt?: number;
  /** The token's issue time (ms), kept from the upgrade until the session has checked revocation. */
  issuedAtMs?: number;
  openedAt: number;
  /** Subscribed to the user's rooms and greeted with `hello`: frames are processed. */
  ready: boolean;
  closed: boolean;
  /** Rooms this socket is subscribed to (uWS topics of the same name); NO_ROOMS when none. */
  rooms: string[];
  /** Holds a reference on the `user:{id}` channel subscription. */
  userChannel?: boolean;
  /** Frames that arrived before `hello`, processed in order right after it. */
  queued?: string[];
  /** Set in the upgrade when the query token was bad: the socket is closed 4001 on open. */
  rejected?: string;
  /** Token buckets of the connection rate limiter; absent (= full) until the first limited frame. */
  frameTokens?: number;
  sendTokens?: number;
  refilledAt?: number;
  /** The room this connection last said it is typing in: a send there stops the typing. */
  typingIn?: string;
}

/**
 * The part of a uWebSockets.js WebSocket the gateway logic uses, named as uWS names it so a
 * uWS socket is passed as is (no wrapper object per connection); tests pass fakes.
 */
export interface ClientSocket {
  getUserData(): ConnectionData;
  /** Returns 1 sent, 0 buffered (backpressure), 2 dropped (over the limit). */
  send(message: string): number;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  end(code?: number, reason?: string): void;
}

/**
 * The uWS topic every socket joins at hello: frames for everyone (`chat:everyone`, e.g. a new
 * public room) are one publish to it. Room topics are room ids, which never start with `#`.
 */
export const EVERYONE_TOPIC = '#everyone';

/** Local fan-out: one call hands a pre-serialized frame to every subscribed socket. */
export interface TopicHub {
  publish(topic: string, message: string): void;
}
