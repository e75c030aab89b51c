import { FakeWebSocket } from '../../../../test/support/fake-web-socket';
import { messageFixture } from '../../../../test/support/message-fixture';
import type { Message } from '../../../protocol/src/wire';
import { ChatClient } from '../chat-client';
import { MembersState } from './members-state';
import { RoomsState } from './rooms-state';
import { TypingState } from './typing-state';

const msg = (seq: number, authorId: string): Message => messageFixture(seq, { authorId });
const listing = { id: 'r1', name: 'general', topic: '', kind: 'public' as const, createdBy: 'u-me', createdAt: '', lastSeq: 4, memberCount: 2, unread: 2, joined: true };
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('state helpers', () => {
  let client: ChatClient;
  let ws: FakeWebSocket;

  beforeEach(async () => {
    FakeWebSocket.reset();
    client = new ChatClient({ url: 'ws://gw/ws', getToken: () => 't', WebSocket: FakeWebSocket });
    const session = client.connect();
    ws = await FakeWebSocket.next();
    ws.accept('u-me');
    await session;
  });
  afterEach(() => client.close());

  it('RoomsState counts others’ messages as unread and clears them with read markers', async () => {
    const rooms = new RoomsState(client);
    const loaded = rooms.load();
    await settled();
    ws.reply(ws.lastOp('room.list').ref!, { rooms: [listing] });
    expect((await loaded)[0].unread).toBe(2);
    ws.push({ type: 'message.created', data: msg(5, 'u-bob') });
    expect(rooms.get('r1')).toMatchObject({ lastSeq: 5, unread: 3 });
    ws.push({ type: 'message.created', data: msg(6, 'u-me') }); // sending moves one's own marker
    expect(rooms.get('r1')!.unread).toBe(0);
    ws.push({ type: 'message.created', data: msg(7, 'u-bob') });
    ws.push({ type: 'read.updated', data: { roomId: 'r1', userId: 'u-bob', seq: 7 } }); // someone else's marker
    expect(rooms.get('r1')!.unread).toBe(1);
    const marked = rooms.markRead('r1');
    await settled();
    expect(ws.lastOp('read.mark').data).toEqual({ roomId: 'r1', seq: 7 });
    ws.reply(ws.lastOp('read.mark').ref!, { seq: 7 });
    await marked;
    expect(rooms.get('r1')!.unread).toBe(0);
  });

  it('MembersState follows joins, departures, roles and presence', async () => {
    const members = new MembersState(client);
    members.set('r1', [{ id: 'u-me', username: 'me', role: 'owner', presence: 'online' }]);
    ws.push({ type: 'room.member_joined', data: { roomId: 'r1', user: { id: 'u-bob', username: 'bob' }, role: 'member' } });
    ws.push({ type: 'presence.updated', data: { userId: 'u-bob', status: 'away' } });
    ws.push({ type: 'room.member_updated', data: { roomId: 'r1', userId: 'u-bob', role: 'moderator' } });
    expect(members.of('r1')).toContainEqual({ id: 'u-bob', username: 'bob', role: 'moderator', presence: 'away' });
    ws.push({ type: 'room.member_left', data: { roomId: 'r1', userId: 'u-bob', reason: 'left' } });
    expect(members.of('r1').map((m) => m.id)).toEqual(['u-me']);
  });

  it('TypingState keeps who types per room, and forgets it on reconnect', async () => {
    const typing = new TypingState(client);
    const started: string[][] = [];
    typing.on('change', (change) => started.push(change.started));
    ws.push({ type: 'typing.updated', data: { roomId: 'r1', userIds: ['u-bob'] } });
    ws.push({ type: 'typing.updated', data: { roomId: 'r1', userIds: ['u-bob', 'u-cy'] } });
    expect(typing.in('r1')).toEqual(['u-bob', 'u-cy']);
    expect(started).toEqual([['u-bob'], ['u-cy']]);
    ws.push({ type: 'typing.updated', data: { roomId: 'r1', userIds: [] } });
    expect(typing.in('r1')).toEqual([]);
    ws.push({ type: 'typing.updated', data: { roomId: 'r2', userIds: ['u-bob'] } });
    const next = FakeWebSocket.next();
    ws.drop(1012);
    (await next).accept('u-me');
    expect(typing.in('r2')).toEqual([]);
  });
});
