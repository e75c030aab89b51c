import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { graphqlData, GraphqlSubscription, graphqlWsClient } from '../support/graphql-client';
import { status } from '@grpc/grpc-js';
import { GrpcChat, GrpcChatStream, GrpcEvent } from '../support/grpc-client';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

/**
 * One conversation seen through every door at once: a plain WebSocket client (gateway), a
 * gRPC ChatStream (grpc-gateway) and a GraphQL subscription (api, graphql-ws), all separate
 * processes on the same streams. Each of the three sends through its own door, all at once,
 * and each of the three receives every message exactly once, in seq order — whichever door
 * it came in by.
 */
describe('every door at once', () => {
  let stack: ChatStack;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    stack = await startChatStack('alldoors', { gateways: 2, messages: 2, grpcGateways: 1 });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await stack?.teardown();
  });

  it('a WebSocket, a gRPC ChatStream and a GraphQL subscription each get every message once, in seq order, whichever door sent it', async () => {
    const [w, g, q] = await Promise.all([guest(stack.apiUrl, uniqueName('dw')), guest(stack.apiUrl, uniqueName('dg')), guest(stack.apiUrl, uniqueName('dq'))]);

    const ws = await WsClient.connect(stack.gatewayUrls[1], w.token);
    closers.push(() => ws.close());
    const { room } = await ws.call('room.create', { name: 'all doors' });

    const grpc = new GrpcChat(stack.grpcAddresses[0]);
    closers.push(() => grpc.close());
    const stream: GrpcChatStream = grpc.stream(g.token);
    closers.push(() => stream.end().catch(() => undefined));
    await stream.hello();
    await stream.act('join', { room_id: room.id });

    await graphqlData(stack.apiUrl, q.token, 'mutation($id: ID!) { joinRoom(roomId: $id) { room { id } } }', { id: room.id });
    const connection = graphqlWsClient(stack.apiUrl, { token: q.token });
    closers.push(() => connection.client.dispose());
    await connection.connected;
    const subscription = new GraphqlSubscription(connection.client, 'subscription($id: ID!) { messageCreated(roomId: $id) { seq clientMsgId text } }', { id: room.id });
    closers.push(() => subscription.stop());

    // The subscription starts asynchronously: it is live once it saw a message sent after it.
    let probes = 0;
    await waitFor(
      async () => {
        const { message } = await ws.call('message.send', { roomId: room.id, text: `probe ${++probes}`, clientMsgId: `probe-${probes}` });
        await subscription.until(() => subscription.data.some((d) => d.messageCreated.seq === message.seq), 2000).catch(() => undefined);
        return subscription.data.some((d) => d.messageCreated.seq === message.seq);
      },
      { what: 'the GraphQL subscription to see a probe', timeoutMs: 20_000 },
    );

    const PER_DOOR = 30;
    const sendMutation = 'mutation($id: ID!, $text: String!, $c: String!) { sendMessage(roomId: $id, text: $text, clientMsgId: $c) { seq } }';
    await Promise.all([
      (async () => {
        for (let i = 0; i < PER_DOOR; i++) await ws.call('message.send', { roomId: room.id, text: `via ws ${i}`, clientMsgId: `ws-${i}` });
      })(),
      (async () => {
        for (let i = 0; i < PER_DOOR; i++) await stream.act('send', { room_id: room.id, text: `via grpc ${i}`, client_msg_id: `grpc-${i}` });
      })(),
      (async () => {
        for (let i = 0; i < PER_DOOR; i++) await graphqlData(stack.apiUrl, q.token, sendMutation, { id: room.id, text: `via graphql ${i}`, c: `graphql-${i}` });
      })(),
    ]);
    const total = probes + 3 * PER_DOOR;
    const everySeq = Array.from({ length: total }, (_, i) => i + 1);

    const viaWs = await ws.waitForCount((f) => f.type === 'message.created' && f.data.roomId === room.id, total, 30_000, 'every message on the WebSocket');
    const isCreated = (e: GrpcEvent) => e.event === 'message_created' && e.message_created.room_id === room.id;
    // The stream joined before the first probe: it sees every message, probes included.
    const viaGrpc = await stream.waitForCount(isCreated, total, 30_000, 'every message on the ChatStream');
    const firstSeen = subscription.data[0].messageCreated.seq as number;
    await subscription.until(() => subscription.data.length === total - firstSeen + 1, 30_000, 'every message on the subscription');

    // Each door's receiver: every seq once, in order, with the same message behind each seq.
    expect(viaWs.map((f) => f.data.seq)).toEqual(everySeq);
    expect(viaGrpc.map((e) => Number(e.message_created.seq))).toEqual(everySeq);
    expect(subscription.data.map((d) => d.messageCreated.seq)).toEqual(everySeq.slice(firstSeen - 1));
    const idBySeq = new Map(viaWs.map((f) => [f.data.seq as number, f.data.clientMsgId as string]));
    expect(viaGrpc.map((e) => e.message_created.client_msg_id)).toEqual(everySeq.map((s) => idBySeq.get(s)));
    expect(subscription.data.map((d) => d.messageCreated.clientMsgId)).toEqual(everySeq.slice(firstSeen - 1).map((s) => idBySeq.get(s)));
    // And every door's sends are among them, once each.
    for (const door of ['ws', 'grpc', 'graphql']) {
      expect([...idBySeq.values()].filter((id) => id.startsWith(`${door}-`)).sort()).toEqual(Array.from({ length: PER_DOOR }, (_, i) => `${door}-${i}`).sort());
    }
  });

  it('a bot uses the gRPC door like a person, is marked bot in what it writes, and its revoked token is refused there too', async () => {
    const owner = await guest(stack.apiUrl, uniqueName('bo'));
    const created = await fetch(`${stack.apiUrl}/api/bots`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: uniqueName('grpcbot') }),
    });
    expect(created.status).toBe(201);
    const { bot, token } = (await created.json()) as { bot: { id: string }; token: string };

    const ws = await WsClient.connect(stack.gatewayUrls[0], owner.token);
    closers.push(() => ws.close());
    const { room } = await ws.call('room.create', { name: 'bot over grpc' });
    const grpc = new GrpcChat(stack.grpcAddresses[0]);
    closers.push(() => grpc.close());
    await grpc.unary('JoinRoom', { room_id: room.id }, token);
    const seen = ws.next((f) => f.type === 'message.created' && f.data.roomId === room.id, 15_000, 'the bot’s message');
    await grpc.unary('SendMessage', { room_id: room.id, text: 'beep', client_msg_id: 'b-1' }, token);
    expect((await seen).data.author).toMatchObject({ id: bot.id, bot: true });

    const revoked = await fetch(`${stack.apiUrl}/api/bots/${bot.id}/token`, { method: 'DELETE', headers: { authorization: `Bearer ${owner.token}` } });
    expect(revoked.status).toBe(200);
    // The door's pooled session for that token is closed by the revocation; a new call is refused.
    await waitFor(
      async () => (await grpc.failure('SendMessage', { room_id: room.id, text: 'after revoke', client_msg_id: 'b-2' }, token)).code === status.UNAUTHENTICATED || undefined,
      { timeoutMs: 10_000, what: 'the revoked bot token to be refused by the gRPC door' },
    );
  });
});
