import { listenOn, uWS } from '@chat/uws';
import { ConnectionData, Gateway, GatewayCloseCode } from '@chat/gateway-core';
import { Readiness, renderMetrics } from '@chat/observability';
import { MAX_FRAME_BYTES } from '@chat/protocol';

export interface UwsServerOptions {
  host: string;
  port: number;
  heartbeatMs: number;
  maxBackpressureBytes: number;
  /** Let another process listen on the same port (SO_REUSEPORT); off: a taken port fails the start. */
  sharePort: boolean;
}

/** Fatal: a frame that is not UTF-8 is refused (1007), never decoded with replacement characters. */
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * What uWS accepts before the gateway sees a frame. Past it uWS drops the TCP connection
 * without a close frame (the client sees 1006), so it sits far above the protocol's 64 KiB:
 * every frame up to it gets TOO_LARGE and a proper 1009 from the gateway. uWS buffers a frame
 * only as its bytes arrive, and the sender is closed on the first oversized one.
 */
export const TRANSPORT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/**
 * The uWebSockets.js transport: `/ws` for clients and `/healthz`, `/readyz`, `/metrics` on
 * the same port. Everything a socket does is handed to the Gateway in one call.
 * Slow readers: a socket whose send buffer passes maxBackpressure is closed (it resumes on
 * reconnect) instead of growing memory or slowing everyone else down.
 */
export function createUwsServer(gateway: Gateway, readiness: Readiness, options: UwsServerOptions) {
  const app = uWS.App();
  app.ws<ConnectionData>('/ws', {
    maxPayloadLength: TRANSPORT_MAX_PAYLOAD_BYTES,
    maxBackpressure: options.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,
    idleTimeout: Math.min(960, Math.max(8, Math.round((2 * options.heartbeatMs) / 1000))),
    sendPingsAutomatically: true,
    // Synchronous, so the upgrade completes inside uWS's own (corked) handler: see verifySync.
    upgrade: (res, req, context) => {
      // Draining: not ready, and no new socket (the load balancer sends it to another gateway).
      if (gateway.draining) return void res.writeStatus('503 Service Unavailable').end('draining');
      const token = req.getQuery('token');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      res.upgrade(gateway.connectionFor(token), key, protocol, extensions, context);
    },
    open: (ws) => gateway.onOpen(ws),
    // Binary frames are read as UTF-8 text too: what matters is that they hold a JSON frame.
    // (uWS itself drops a *text* frame that is not UTF-8, with 1006; binary ones reach us.)
    message: (ws, message) => {
      const bytes = message.byteLength;
      // An oversized frame is refused on its size alone: no need to decode it.
      if (bytes > MAX_FRAME_BYTES) return gateway.onMessage(ws, '', bytes);
      let text: string;
      try {
        text = decoder.decode(message);
      } catch {
        return ws.end(GatewayCloseCode.INVALID_PAYLOAD, 'frame is not valid UTF-8');
      }
      gateway.onMessage(ws, text, bytes);
    },
    close: (ws, code) => gateway.onClose(ws, code),
  });

  app.get('/healthz', (res) => {
    res.writeHeader('content-type', 'application/json').end(JSON.stringify({ status: 'ok', ...gateway.stats() }));
  });
  app.get('/readyz', (res) => {
    respondAsync(res, async () => {
      const report = await readiness.report();
      return { status: report.ready ? '200 OK' : '503 Service Unavailable', type: 'application/json', body: JSON.stringify(report) };
    });
  });
  app.get('/metrics', (res) => {
    respondAsync(res, async () => {
      const { contentType, body } = await renderMetrics();
      return { status: '200 OK', type: contentType, body };
    });
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json');
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'WebSocket endpoint is /ws' } }));
  });

  let listenSocket: uWS.us_listen_socket | undefined;
  return {
    /** Local fan-out: uWS writes the same bytes to every subscriber of the topic. */
    publish: (topic: string, message: string) => app.publish(topic, message, false),
    listen: () =>
      new Promise<number>((resolve, reject) =>
        listenOn(app, options.host, options.port, !options.sharePort, (socket) => {
          if (!socket) {
            return reject(new Error(`gateway cannot listen on ${options.host}:${options.port} (GATEWAY_PORT): the port is in use or not allowed`));
          }
          listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket as unknown as uWS.us_socket));
        }),
      ),
    close: () => {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
    },
  };
}

function respondAsync(
  res: uWS.HttpResponse,
  produce: () => Promise<{ status: string; type: string; body: string }>,
): void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  produce().then(
    (r) => !aborted && res.cork(() => res.writeStatus(r.status).writeHeader('content-type', r.type).end(r.body)),
    () => !aborted && res.cork(() => res.writeStatus('500 Internal Server Error').end()),
  );
}
