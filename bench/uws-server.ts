/**
 * Ceiling server for the e2e bench: one bare uWebSockets.js process speaking the same frames
 * as our gateway (hello, room.create, room.join, message.send → reply + message.created), with
 * uWS topics for fan-out and nothing else: no Redis, no database, no durability, no auth check.
 * Env: PORT. Prints "READY <port>" when listening.
 */
import { uWS } from '@chat/uws';

interface Conn {
  userId: string;
  username: string;
  connectionId: string;
}

const port = Number(process.env.PORT ?? 0);
const rooms = new Map<string, { id: string; name: string; seq: number }>();
let nextId = 0;
let nextConn = 0;
const decoder = new TextDecoder();

const reply = (ref: string, dataJson: string) => `{"type":"reply","ref":${JSON.stringify(ref)},"ok":true,"data":${dataJson}}`;
const fail = (ref: string | undefined, code: string, message: string) =>
  ref === undefined
    ? JSON.stringify({ type: 'error', data: { code, message } })
    : JSON.stringify({ type: 'reply', ref, ok: false, error: { code, message } });

const app = uWS.App().ws<Conn>('/ws', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  idleTimeout: 120,
  // Large enough that the bounded bench never drops: the ceiling is about speed, not limits.
  maxBackpressure: 64 * 1024 * 1024,
  upgrade: (res, req, context) => {
    const token = new URLSearchParams(req.getQuery() ?? '').get('token') ?? 'anon';
    const connId = `c${++nextConn}`;
    res.upgrade<Conn>(
      { userId: `u-${token}`, username: token, connectionId: connId },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const u = ws.getUserData();
    ws.send(JSON.stringify({ type: 'hello', data: { userId: u.userId, username: u.username, connectionId: u.connectionId, heartbeatMs: 25000 } }));
  },
  message: (ws, raw) => {
    let f: { type?: string; ref?: string; data?: any };
    try {
      f = JSON.parse(decoder.decode(raw));
    } catch {
      ws.send(fail(undefined, 'BAD_REQUEST', 'not JSON'));
      return;
    }
    const ref = f.ref;
    switch (f.type) {
      case 'ping':
        ws.send('{"type":"pong"}');
        return;
      case 'room.create': {
        const id = `room-${++nextId}`;
        const room = { id, name: String(f.data?.name ?? 'room'), seq: 0 };
        rooms.set(id, room);
        if (ref !== undefined) ws.send(reply(ref, JSON.stringify({ room: { id, name: room.name, kind: 'public', lastSeq: 0 } })));
        return;
      }
      case 'room.join': {
        const room = rooms.get(String(f.data?.roomId));
        if (!room) return void ws.send(fail(ref, 'NOT_FOUND', 'no such room'));
        ws.subscribe(`room:${room.id}`);
        if (ref !== undefined) ws.send(reply(ref, JSON.stringify({ room: { id: room.id, name: room.name }, members: [], messages: [] })));
        return;
      }
      case 'message.send': {
        const room = rooms.get(String(f.data?.roomId));
        if (!room) return void ws.send(fail(ref, 'NOT_FOUND', 'no such room'));
        const u = ws.getUserData();
        const message = JSON.stringify({
          id: `m${++nextId}`,
          roomId: room.id,
          seq: ++room.seq,
          author: { id: u.userId, username: u.username },
          text: f.data.text,
          createdAt: new Date().toISOString(),
          clientMsgId: f.data.clientMsgId,
          reactions: [],
          attachments: [],
        });
        app.publish(`room:${room.id}`, `{"type":"message.created","data":${message}}`, false);
        if (ref !== undefined) ws.send(reply(ref, `{"message":${message}}`));
        return;
      }
      default:
        ws.send(fail(ref, 'BAD_REQUEST', `unknown type ${f.type}`));
    }
  },
});

app.listen('127.0.0.1', port, (listen) => {
  if (!listen) {
    console.error(`uws-server: cannot listen on ${port}`);
    process.exit(1);
  }
  console.log(`READY ${uWS.us_socket_local_port(listen)}`);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
