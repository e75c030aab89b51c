import { credentials, loadPackageDefinition, makeClientConstructor, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { service as healthService } from 'grpc-health-check';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { GrpcChat, GrpcEvent } from '../support/grpc-client';
import { Frame, guest, WsClient } from '../support/ws-client';

/**
 * The gRPC door (apps/grpc-gateway) as a client meets it: separate processes from dist (api,
 * messages, presence, a WebSocket gateway, gRPC gateways), @grpc/grpc-js clients built from
 * proto/chat.proto. A message goes through the same streams whichever door sent it.
 */
describe('the gRPC door', () => {
  let stack: ChatStack;
  let grpc: GrpcChat;
  const clients: { close(): unknown }[] = [];

  beforeAll(async () => {
    stack = await startChatStack('grpcdoor', { gateways: 1, messages: 1, grpcGateways: 1 });
    grpc = new GrpcChat(stack.grpcAddresses[0]);
    clients.push(grpc);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await stack?.teardown();
  });

  const login = (prefix: string) => guest(stack.apiUrl, uniqueName(prefix));
  const ws = async (token: string) => {
    const client = await WsClient.connect(stack.gatewayUrls[0], token);
    clients.push(client);
    return client;
  };
  const isCreatedIn = (roomId: string) => (e: GrpcEvent) => e.event === 'message_created' && e.message_created.room_id === roomId;

  describe('unary calls', () => {
    it('sends, pages history, joins, lists, shows members with presence, sets status and leaves', async () => {
      const [alice, bob] = await Promise.all([login('ua'), login('ub')]);
      const owner = await ws(alice.token);
      const { room } = await owner.call('room.create', { name: 'grpc-unary' });

      const joined = await grpc.unary('JoinRoom', { room_id: room.id }, bob.token);
      expect(joined.room).toMatchObject({ id: room.id, name: 'grpc-unary', kind: 'public', created_at: { seconds: expect.any(Number) } });
      expect(joined.members.map((m: { username: string }) => m.username).sort()).toEqual([alice.user.username, bob.user.username].sort());

      const sent = await grpc.unary('SendMessage', { room_id: room.id, text: 'over grpc', client_msg_id: 'u-1' }, bob.token);
      expect(sent.message).toMatchObject({ room_id: room.id, seq: 1, text: 'over grpc', client_msg_id: 'u-1', author: { id: bob.user.id } });
      const again = await grpc.unary('SendMessage', { room_id: room.id, text: 'over grpc', client_msg_id: 'u-1' }, bob.token);
      expect(again.message.id).toBe(sent.message.id); // a retry stores nothing new
      await grpc.unary('SendMessage', { room_id: room.id, text: 'second', client_msg_id: 'u-2' }, bob.token);

      const page = await grpc.unary('GetMessages', { room_id: room.id, limit: 1 }, bob.token);
      expect(page.messages.map((m: { seq: number }) => m.seq)).toEqual([2]);
      expect(page.has_more).toBe(true);
      const older = await grpc.unary('GetMessages', { room_id: room.id, before_seq: 2 }, bob.token);
      expect(older).toMatchObject({ messages: [{ seq: 1, text: 'over grpc' }], has_more: false });

      const { rooms } = await grpc.unary('GetRooms', {}, bob.token);
      expect(rooms.find((r: { id: string }) => r.id === room.id)).toMatchObject({ joined: true, last_seq: 2, unread: 0 });

      await grpc.unary('UpdateUserStatus', { status: 'dnd' }, bob.token);
      const { members } = await grpc.unary('GetUsers', { room_id: room.id }, alice.token);
      expect(members.find((m: { id: string }) => m.id === bob.user.id)).toMatchObject({ presence: 'dnd', role: 'member' });

      await grpc.unary('LeaveRoom', { room_id: room.id }, bob.token);
      const after = await grpc.failure('GetMessages', { room_id: room.id }, bob.token);
      expect(after).toMatchObject({ code: status.PERMISSION_DENIED, chatCode: 'FORBIDDEN' });
    });

    it('answers UNAUTHENTICATED without a token and with a bad one', async () => {
      expect(await grpc.failure('GetRooms', {})).toMatchObject({ code: status.UNAUTHENTICATED, chatCode: 'UNAUTHORIZED', details: 'missing bearer token' });
      expect(await grpc.failure('GetRooms', {}, 'not-a-jwt')).toMatchObject({ code: status.UNAUTHENTICATED, chatCode: 'UNAUTHORIZED' });
    });

    it('maps FORBIDDEN, NOT_FOUND and BAD_REQUEST, and a refused call loses nothing', async () => {
      const [alice, bob] = await Promise.all([login('ea'), login('eb')]);
      const owner = await ws(alice.token);
      const { room } = await owner.call('room.create', { name: 'grpc-errors' });
      expect(await grpc.failure('SendMessage', { room_id: room.id, text: 'not a member', client_msg_id: 'x' }, bob.token)).toMatchObject({
        code: status.PERMISSION_DENIED,
        chatCode: 'FORBIDDEN',
      });
      expect(await grpc.failure('JoinRoom', { room_id: 'no-such-room' }, bob.token)).toMatchObject({ code: status.NOT_FOUND, chatCode: 'NOT_FOUND' });
      const blank = await grpc.failure('SendMessage', { room_id: room.id, text: '   ', client_msg_id: 'b' }, alice.token);
      expect(blank).toMatchObject({ code: status.INVALID_ARGUMENT, chatCode: 'BAD_REQUEST', details: expect.stringContaining('text') });
      expect(await grpc.failure('UpdateUserStatus', { status: 'asleep' }, alice.token)).toMatchObject({ code: status.INVALID_ARGUMENT });

      await grpc.unary('SendMessage', { room_id: room.id, text: 'after the refusals', client_msg_id: 'ok' }, alice.token);
      const history = await grpc.unary('GetMessages', { room_id: room.id }, alice.token);
      expect(history.messages.map((m: { seq: number; text: string }) => [m.seq, m.text])).toEqual([[1, 'after the refusals']]);
    });

    it('answers RESOURCE_EXHAUSTED with RetryInfo and retry-after-ms past a rate limit', async () => {
      const tight = await stack.add('grpc-gateway', { RATE_CONN_FRAMES_PER_SEC: '1', RATE_CONN_FRAMES_BURST: '3' });
      const limited = new GrpcChat(`127.0.0.1:${tight.grpcPort}`);
      clients.push(limited);
      const alice = await login('rl');
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => limited.unary('GetRooms', {}, alice.token).then(() => undefined, (e) => e)));
      const refused = outcomes.filter((e) => e !== undefined);
      expect(outcomes.length - refused.length).toBe(3);
      const failure = await limited.failure('GetRooms', {}, alice.token);
      expect(failure).toMatchObject({ code: status.RESOURCE_EXHAUSTED, chatCode: 'RATE_LIMITED' });
      expect(failure.retryAfterMs).toBeGreaterThan(0);
      expect(failure.retryInfoMs).toBe(failure.retryAfterMs);
    });
  });

  describe('serving', () => {
    it('answers grpc.health.v1 SERVING and lists chat.ChatService and the health service through server reflection', async () => {
      const Health = makeClientConstructor(healthService, 'Health');
      const health = new Health(stack.grpcAddresses[0], credentials.createInsecure()) as any;
      clients.push(health);
      const check = (service: string) => new Promise<any>((resolve, reject) => health.check({ service }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))));
      expect((await check('')).status).toBe('SERVING');
      expect((await check('chat.ChatService')).status).toBe('SERVING');

      const reflectionProto = join(require.resolve('@grpc/reflection'), '../../proto/grpc/reflection/v1/reflection.proto');
      const reflection = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as any;
      const client = new reflection.grpc.reflection.v1.ServerReflection(stack.grpcAddresses[0], credentials.createInsecure());
      clients.push(client);
      const call = client.ServerReflectionInfo();
      const answer = new Promise<any>((resolve) => call.once('data', resolve));
      call.write({ list_services: '' });
      const { list_services_response } = await answer;
      call.end();
      expect(list_services_response.service.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['chat.ChatService', 'grpc.health.v1.Health']));
    });

    it('counts calls by method and status on /metrics, beside /healthz and /readyz', async () => {
      const alice = await login('mx');
      await grpc.unary('GetRooms', {}, alice.token);
      await grpc.failure('GetRooms', {}, 'bad');
      const http = `http://127.0.0.1:${stack.processes.find((p) => p.name.startsWith('grpc-gateway'))!.port}`;
      expect((await fetch(`${http}/healthz`)).status).toBe(200);
      expect((await fetch(`${http}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${http}/metrics`)).text();
      expect(metrics).toMatch(/grpc_door_calls_total\{method="GetRooms",code="OK"\} [1-9]/);
      expect(metrics).toMatch(/grpc_door_calls_total\{method="GetRooms",code="UNAUTHENTICATED"\} [1-9]/);
      expect(metrics).toMatch(/gateway_connections [0-9]/);
    });
  });

  describe('ChatStream', () => {
    it('greets with hello, then fails a stream without a valid token UNAUTHENTICATED', async () => {
      const alice = await login('sh');
      const stream = grpc.stream(alice.token);
      expect((await stream.hello()).hello).toMatchObject({ user_id: alice.user.id, username: alice.user.username, connection_id: expect.any(String) });
      expect(await stream.end()).toMatchObject({ code: status.OK });
      expect(await grpc.stream('bad-token').ended).toMatchObject({ code: status.UNAUTHENTICATED, chatCode: 'UNAUTHORIZED' });
      expect(await grpc.stream().ended).toMatchObject({ code: status.UNAUTHENTICATED });
    });

    it('gets each message once in seq order, whichever door sent it', async () => {
      const [alice, bob] = await Promise.all([login('oa'), login('ob')]);
      const wsAlice = await ws(alice.token);
      const { room } = await wsAlice.call('room.create', { name: 'two-doors' });
      const stream = grpc.stream(bob.token);
      await stream.hello();
      await stream.act('join', { room_id: room.id });

      const COUNT = 60;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < COUNT; i++) {
        // Interleaved: even ones from the WebSocket, odd ones from the stream.
        if (i % 2 === 0) sends.push(wsAlice.call('message.send', { roomId: room.id, text: `ws ${i}`, clientMsgId: `w${i}` }));
        else sends.push(stream.act('send', { room_id: room.id, text: `grpc ${i}`, client_msg_id: `g${i}` }));
      }
      await Promise.all(sends);
      const viaGrpc = await stream.waitForCount(isCreatedIn(room.id), COUNT, 30_000, 'message_created');
      const viaWs = await wsAlice.waitForCount((f: Frame) => f.type === 'message.created' && f.data.roomId === room.id, COUNT, 30_000);
      const seqs = Array.from({ length: COUNT }, (_, i) => i + 1);
      expect(viaGrpc.map((e) => e.message_created.seq)).toEqual(seqs);
      expect(viaWs.map((f) => f.data.seq)).toEqual(seqs);
      expect(viaGrpc.map((e) => e.message_created.text)).toEqual(viaWs.map((f) => f.data.text));
      expect(new Set(viaGrpc.map((e) => e.message_created.client_msg_id)).size).toBe(COUNT);
      await stream.end();
    });

    it('gets typing, presence, joins and leaves of its rooms, answers a bad action without closing, refreshes its token', async () => {
      const [alice, bob, carol] = await Promise.all([login('ta'), login('tb'), login('tc')]);
      const wsAlice = await ws(alice.token);
      const { room } = await wsAlice.call('room.create', { name: 'signals' });
      const stream = grpc.stream(bob.token);
      await stream.hello();
      await stream.act('join', { room_id: room.id });

      const typing = stream.next((e) => e.event === 'typing_updated' && e.typing_updated.user_ids.includes(alice.user.id), 15_000, 'typing');
      await wsAlice.call('typing.start', { roomId: room.id });
      expect((await typing).typing_updated.room_id).toBe(room.id);

      const away = stream.next((e) => e.event === 'presence_updated' && e.presence_updated.user_id === alice.user.id && e.presence_updated.status === 'away');
      await wsAlice.call('presence.set', { status: 'away' });
      await away;

      const joined = stream.next((e) => e.event === 'member_joined' && e.member_joined.user.id === carol.user.id, 15_000, 'member_joined');
      await grpc.unary('JoinRoom', { room_id: room.id }, carol.token);
      expect((await joined).member_joined).toMatchObject({ room_id: room.id, role: 'member' });
      const left = stream.next((e) => e.event === 'member_left' && e.member_left.user_id === carol.user.id, 15_000, 'member_left');
      await grpc.unary('LeaveRoom', { room_id: room.id }, carol.token);
      expect((await left).member_left).toMatchObject({ reason: 'left' });

      const bad = await stream.request('send', { room_id: room.id, text: '', client_msg_id: 'e' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      const empty = await stream.request('none', {});
      expect(empty).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'ClientAction has no action set' } });
      const marked = await stream.act('read_mark', { room_id: room.id, seq: 0 });
      expect(marked).toMatchObject({ ok: true, read_seq: 0 });

      // A newer token keeps the stream past the current one's expiry; another user's is refused.
      const refreshed = await fetch(`${stack.apiUrl}/api/auth/refresh`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}` } });
      const { token: newer } = (await refreshed.json()) as { token: string };
      expect(await stream.act('auth_refresh', { token: newer })).toMatchObject({ ok: true, expires_at: { seconds: expect.any(Number) } });
      expect(await stream.request('auth_refresh', { token: carol.token })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      await stream.end();
    });

    it('resumes after a reconnect with no gap and no duplicate', async () => {
      const [alice, bob] = await Promise.all([login('ra'), login('rb')]);
      const wsAlice = await ws(alice.token);
      const { room } = await wsAlice.call('room.create', { name: 'resume' });
      await grpc.unary('JoinRoom', { room_id: room.id }, bob.token);
      const first = grpc.stream(bob.token);
      await first.hello();
      for (let i = 1; i <= 5; i++) await wsAlice.call('message.send', { roomId: room.id, text: `m${i}`, clientMsgId: `a${i}` });
      const seen = await first.waitForCount(isCreatedIn(room.id), 5);
      const lastSeen = seen.at(-1)!.message_created.seq;
      await first.end();

      for (let i = 6; i <= 12; i++) await wsAlice.call('message.send', { roomId: room.id, text: `m${i}`, clientMsgId: `a${i}` });
      const second = grpc.stream(bob.token);
      await second.hello();
      const resumed = await second.act('resume', { rooms: { [room.id]: lastSeen } });
      expect(resumed.resumed).toMatchObject({ replayed: 7, truncated: [], forbidden: [] });
      for (let i = 13; i <= 15; i++) await wsAlice.call('message.send', { roomId: room.id, text: `m${i}`, clientMsgId: `a${i}` });
      const after = await second.waitForCount(isCreatedIn(room.id), 10);
      const all = [...seen, ...after].map((e) => e.message_created.seq);
      expect(all).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      await second.end();
    });

    it('cuts off a reader that stops reading, while another stream of the room gets everything', async () => {
      // A budget the healthy reader stays within even on a busy machine, a fraction of what is sent.
      const small = await stack.add('grpc-gateway', { MAX_BACKPRESSURE_BYTES: String(2 * 1024 * 1024) });
      // Two clients (two connections): one connection's streams share its HTTP/2 window.
      const [door, lagDoor] = [new GrpcChat(`127.0.0.1:${small.grpcPort}`), new GrpcChat(`127.0.0.1:${small.grpcPort}`)];
      clients.push(door, lagDoor);
      const [s, h, l] = await Promise.all([login('fs'), login('fh'), login('fl')]);
      const sender = await ws(s.token);
      const { room } = await sender.call('room.create', { name: 'firehose' });
      const healthy = door.stream(h.token);
      const lagging = lagDoor.stream(l.token);
      await Promise.all([healthy.hello(), lagging.hello()]);
      await healthy.act('join', { room_id: room.id });
      await lagging.act('join', { room_id: room.id });
      lagging.call.pause(); // stop reading: HTTP/2 flow control holds the door's writes back

      const TOTAL = 3000;
      const text = 'x'.repeat(3000); // ≈ 10 MB in all: far beyond HTTP/2 windows and the budget
      for (let i = 0; i < TOTAL; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, TOTAL - i) }, (_, k) => sender.call('message.send', { roomId: room.id, text, clientMsgId: `f${i + k}` })),
        );
      }
      const got = await healthy.waitForCount(isCreatedIn(room.id), TOTAL, 60_000, 'message_created');
      expect(got.map((e) => e.message_created.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));

      lagging.call.resume(); // what was already on its way arrives, then the status
      const end = await lagging.ended;
      expect(end).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'reader too slow: reconnect and resume' });
      expect(lagging.events.filter(isCreatedIn(room.id)).length).toBeLessThan(TOTAL);
      await healthy.end();
    });
  });
});
