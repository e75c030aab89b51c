import { DoorClosedError, DoorCloseCode, DoorSession } from '@chat/door';
import type { Logger } from '@chat/observability';
import type { User } from '@chat/protocol';
import { ExecutionResult, getOperationAST } from 'graphql';
import { CloseCode, Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ChatReads } from './chat-reads';
import { DoorChatSession } from './door-chat-session';
import { graphqlContext } from './graphql-context';
import { graphqlMetrics } from './graphql.metrics';
import type { GraphqlDoor } from './graphql-door';

export interface GraphqlWsDeps {
  door: GraphqlDoor;
  reads: ChatReads;
  /** Who a token stands for (signature, expiry, revocation), as for HTTP's Bearer header; throws when nobody. */
  authenticate(token: string): Promise<User>;
  /** A chat session for the token (libs/door), with events. */
  openSession(token: string): DoorSession;
  logger: Logger;
  /** Largest message a client may send (a subscribe with its query). */
  maxPayloadBytes: number;
}

/** What a connection carries once `connection_init` was accepted. */
interface Connection {
  viewer?: User;
  session?: DoorSession;
  chat?: DoorChatSession;
}

/** `connection_init` without a token: graphql-ws's "Unauthorized". */
const NO_TOKEN = { code: CloseCode.Unauthorized, reason: 'Unauthorized: connection_init needs the payload {"token"}' };

/**
 * graphql-transport-ws on the api's HTTP server (path /graphql). `connection_init` carries
 * `{"token"}`: none → 4401, one that does not authenticate → 4403 (graphql-ws closes 4403
 * when onConnect says no). Each accepted connection is one chat session (a DoorSession: rooms,
 * presence, rate limits as a WebSocket client's); its subscriptions read that session's
 * events, its mutations send through it. The session ending on the server's side (token
 * expired or revoked: 4403; shutdown, slow reader: the door's code) closes the socket.
 */
export function graphqlWsServer(deps: GraphqlWsDeps) {
  const metrics = graphqlMetrics();
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes });
  const connections = new WeakMap<object, Connection>();
  const connectionOf = (ctx: Context<Record<string, unknown> | undefined, unknown>): Connection => {
    let connection = connections.get(ctx);
    if (!connection) connections.set(ctx, (connection = {}));
    return connection;
  };

  const server = useServer<Record<string, unknown> | undefined>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const token = ctx.connectionParams?.token;
        if (typeof token !== 'string' || token === '') {
          socket.close(NO_TOKEN.code, NO_TOKEN.reason);
          return false;
        }
        let viewer: User;
        try {
          viewer = await deps.authenticate(token);
        } catch (err) {
          socket.close(CloseCode.Forbidden, reasonOf(`Forbidden: ${(err as Error).message}`));
          return false;
        }
        const session = deps.openSession(token);
        try {
          await session.ready;
        } catch (err) {
          const close = err instanceof DoorClosedError ? err.close : { code: 1011, reason: 'the chat session did not start' };
          // A refused token is the client's business; anything else (draining, backend slow) is worth a line.
          if (close.code !== DoorCloseCode.UNAUTHORIZED) deps.logger.warn({ err, code: close.code }, 'graphql-ws: the chat session did not start');
          socket.close(closeCodeOf(close.code), reasonOf(close.reason));
          return false;
        }
        if (socket.readyState !== socket.OPEN) {
          // The client left while its session started.
          session.close();
          return false;
        }
        Object.assign(connectionOf(ctx), { viewer, session, chat: new DoorChatSession(session) });
        metrics.connections.inc();
        void session.closed.then((close) => {
          if (close.byServer) socket.close(closeCodeOf(close.code), reasonOf(close.reason));
        });
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { viewer, chat } = connectionOf(ctx);
        const prepared = await deps.door.prepare(payload);
        if (!prepared.ok) {
          metrics.operations.inc({ transport: 'ws', kind: 'unknown', outcome: 'refused' });
          return prepared.errors;
        }
        return deps.door.executionArgs(prepared.prepared, graphqlContext(viewer!, deps.reads, async () => chat!));
      },
      onOperation: (_ctx, _id, _payload, args, result) => {
        const kind = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
        const failed = 'errors' in result && result.errors !== undefined;
        metrics.operations.inc({ transport: 'ws', kind, outcome: failed ? 'error' : 'ok' });
      },
      onNext: (_ctx, _id, _payload, _args, result) => deps.door.formatResult(result as ExecutionResult),
      onError: (_ctx, _id, _payload, errors) => deps.door.formatErrors(errors),
      onClose: (ctx) => {
        const { session } = connectionOf(ctx);
        if (!session) return;
        session.close();
        metrics.connections.dec();
      },
    },
    wss,
  );

  return {
    /** For the HTTP server's 'upgrade' event on /graphql. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    /** Closes every connection (1001) and with them their sessions. */
    async close(): Promise<void> {
      for (const client of wss.clients) client.close(DoorCloseCode.GOING_AWAY, 'server shutting down');
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type GraphqlWsServer = ReturnType<typeof graphqlWsServer>;

/** A revoked or expired token (the gateway's 4001) is graphql-ws's Forbidden; other codes pass as the door gives them. */
function closeCodeOf(doorCode: number): number {
  return doorCode === DoorCloseCode.UNAUTHORIZED ? CloseCode.Forbidden : doorCode;
}

/** A close reason is at most 123 bytes (RFC 6455). */
function reasonOf(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= 123 ? text : bytes.subarray(0, 120).toString().replace(/\uFFFD$/, '') + '…';
}
