/** Hard limits of the wire contract (PROTOCOL.md). Operators tune rates, not these. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_REF_LENGTH = 64;
export const MAX_TEXT_LENGTH = 4000;
export const MAX_SEARCH_QUERY_LENGTH = 500;
/** Uploads one message may carry (`message.send` `attachments`). */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
export const MAX_HISTORY_LIMIT = 100;
export const DEFAULT_HISTORY_LIMIT = 50;
export const JOIN_HISTORY_LIMIT = 50;
/** Largest seq a room can reach (the PostgreSQL integer column). */
export const MAX_SEQ = 2_147_483_647;
export const MAX_MUTE_MS = 30 * 24 * 3600 * 1000;
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{2,32}$/;
/** WebSocket close codes this server uses. */
export const CloseCode = {
  /** Bad, expired or missing token. */
  UNAUTHORIZED: 4001,
  /** Frame over MAX_FRAME_BYTES (RFC 6455 "message too big"). */
  TOO_LARGE: 1009,
  /** The gateway is shutting down: reconnect elsewhere. */
  GOING_AWAY: 1001,
  /** The gateway lost its Redis subscription for a moment: reconnect and `resume` (RFC 6455 1012). */
  RECONNECT: 1012,
} as const;
