/**
 * The part of the WebSocket API the client uses: the browser's `WebSocket` and the `ws`
 * package (Node has no global WebSocket before v22) both fit it, so either can be injected.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/**
 * An event handler property, compared bivariantly (as methods are) so that implementations
 * whose handlers take richer event types (`MessageEvent`, `ws`'s `CloseEvent`) fit.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `WebSocket.OPEN` of the standard: the one state in which frames can be sent. */
export const OPEN = 1;

/** The WebSocket to use: the one given, else the platform's (browsers, Node 22+). */
export function resolveWebSocket(given?: WebSocketConstructor): WebSocketConstructor {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!found) throw new TypeError('no WebSocket implementation: pass one as the `WebSocket` option (for example the `ws` package on Node)');
  return found;
}
