/**
 * WebSocket close codes the gateway itself decides (the shared ones — 4001, 1009, 1001,
 * 1012 — are CloseCode in libs/protocol). Documented in docs/protocol.md.
 */
export const GatewayCloseCode = {
  /** RFC 6455 1007: a frame that is not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** RFC 6455 1013: the backend did not answer; reconnect later. */
  TRY_AGAIN_LATER: 1013,
  /** The user already has MAX_SOCKETS_PER_USER sockets open on this gateway: do not retry at once. */
  TOO_MANY_CONNECTIONS: 4008,
  /**
   * A door session (libs/door: gRPC, GraphQL) whose reader fell behind past its queue budget,
   * as a WebSocket past MAX_BACKPRESSURE_BYTES: reconnect and `resume`.
   */
  SLOW_CONSUMER: 4009,
} as const;
