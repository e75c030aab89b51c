/**
 * Baseline server for the e2e bench: Socket.IO 4 with @socket.io/redis-streams-adapter, as a
 * Node user would write the same chat room. No durability: a send is acked right after
 * `io.to(room).emit`. Env: PORT, REDIS_URL, SERVER_ID. Prints "READY <port>" when listening.
 */
import { createServer } from 'node:http';
import Redis from 'ioredis';
import { benchRequire } from './lib/bench-require';

interface SioServerSocket {
  id: string;
  data: { user?: { id: string; username: string } };
  handshake: { auth: Record<string, unknown> };
  join(room: string): void;
  leave(room: string): void;
  on(event: string, fn: (...args: any[]) => void): void;
}
interface SioServer {
  on(event: 'connection', fn: (socket: SioServerSocket) => void): void;
  use(fn: (socket: SioServerSocket, next: (err?: Error) => void) => void): void;
  to(room: string): { emit(event: string, ...args: unknown[]): void };
  close(cb?: () => void): void;
}

const { Server } = benchRequire('socket.io') as { Server: new (srv: unknown, opts: Record<string, unknown>) => SioServer };
const { createAdapter } = benchRequire('@socket.io/redis-streams-adapter') as {
  createAdapter: (client: unknown, opts?: Record<string, unknown>) => unknown;
};

const port = Number(process.env.PORT ?? 0);
const serverId = process.env.SERVER_ID ?? `sio-${process.pid}`;
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
redis.on('error', (err) => console.error(`[${serverId}] redis: ${err.message}`));

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  adapter: createAdapter(redis),
});

type Ack = (res: unknown) => void;
const rooms = new Map<string, { id: string; name: string; seq: number }>();
let nextId = 0;

io.use((socket, next) => {
  const username = String(socket.handshake.auth.username ?? '');
  if (!/^[A-Za-z0-9_.-]{2,32}$/.test(username)) return next(new Error('UNAUTHORIZED'));
  socket.data.user = { id: `u-${username}`, username };
  next();
});

io.on('connection', (socket) => {
  const roomOf = (name: string) => {
    let room = rooms.get(name);
    if (!room) rooms.set(name, (room = { id: name, name, seq: 0 }));
    return room;
  };
  socket.on('room.create', (data: { name?: string }, ack: Ack) => {
    const room = roomOf(`room-${data?.name ?? 'bench'}`);
    ack({ ok: true, data: { room: { id: room.id, name: room.name, kind: 'public' } } });
  });
  socket.on('room.join', (data: { roomId?: string }, ack: Ack) => {
    const room = roomOf(String(data?.roomId));
    socket.join(room.id);
    ack({ ok: true, data: { room: { id: room.id, name: room.name } } });
  });
  socket.on('message.send', (data: { roomId: string; text: string; clientMsgId: string }, ack: Ack) => {
    const room = roomOf(String(data?.roomId));
    const message = {
      id: `${serverId}-${++nextId}`,
      roomId: room.id,
      seq: ++room.seq,
      author: socket.data.user,
      text: data.text,
      createdAt: new Date().toISOString(),
      clientMsgId: data.clientMsgId,
      reactions: [],
      attachments: [],
    };
    io.to(room.id).emit('message.created', message);
    ack({ ok: true, data: { message } });
  });
});

http.listen(port, '127.0.0.1', () => {
  const addr = http.address();
  console.log(`READY ${typeof addr === 'object' && addr ? addr.port : port}`);
});

const shutdown = () => {
  io.close();
  redis.disconnect();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
