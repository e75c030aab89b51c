import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { Frame, guest, WsClient } from '../support/ws-client';

/**
 * The chat domain end to end, across two gateways and two messages instances: private rooms
 * and invites, DMs, replies and threads, edits, deletes, reactions, read markers and unread
 * counts, moderation. Each op: the happy path, the forbidden path, and bad data.
 */
describe('chat domain', () => {
  let stack: ChatStack;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    stack = await startChatStack('domain', { env: { ROOM_MAX_MEMBERS: '4' } });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  interface Person {
    client: WsClient;
    user: { id: string; username: string };
    token: string;
  }

  async function person(name: string, gateway = 0): Promise<Person> {
    const { token, user } = await guest(stack.apiUrl, uniqueName(name));
    const client = await WsClient.connect(stack.gatewayUrls[gateway], token);
    clients.push(client);
    return { client, user, token };
  }

  async function device(p: Person, gateway: number): Promise<WsClient> {
    const client = await WsClient.connect(stack.gatewayUrls[gateway], p.token);
    clients.push(client);
    return client;
  }

  const code = (reply: Frame) => reply.error?.code;
  const event = (type: string, roomId: string) => (f: Frame) => f.type === type && f.data.roomId === roomId;

  describe('private rooms and invites', () => {
    it('announces a new public room to everyone on every gateway (room.created), and a private one to nobody', async () => {
      const creator = await person('rcreator', 0);
      const elsewhere = await person('rwatcher', 1);
      const announced = (f: Frame) => f.type === 'room.created';
      const seen = elsewhere.client.next(announced);
      const { room: hidden } = await creator.client.call('room.create', { name: 'quiet', kind: 'private' });
      const { room: open } = await creator.client.call('room.create', { name: 'town square', topic: 'all welcome' });
      // Events of one publisher arrive in order: the first announcement is the public room's.
      expect((await seen).data.room).toEqual(open);
      expect(elsewhere.client.events('room.created').map((f) => f.data.room.id)).not.toContain(hidden.id);
      expect(creator.client.events('room.created').map((f) => f.data.room.id)).toContain(open.id);
    });

    it('hides a private room from non-members, refuses their join, and lets an invite in', async () => {
      const owner = await person('powner', 0);
      const guestUser = await person('pguest', 1);
      const { room } = await owner.client.call('room.create', { name: 'secret', kind: 'private' });
      expect(room.kind).toBe('private');

      const listed = await guestUser.client.call('room.list');
      expect(listed.rooms.map((r: { id: string }) => r.id)).not.toContain(room.id);
      expect(code(await guestUser.client.request('room.join', { roomId: room.id }))).toBe('FORBIDDEN');
      expect(code(await guestUser.client.request('message.send', { roomId: room.id, text: 'hi', clientMsgId: 'x' }))).toBe('FORBIDDEN');

      const otherDevice = await device(guestUser, 0);
      const invited = guestUser.client.next(event('room.member_joined', room.id));
      const invitedElsewhere = otherDevice.next(event('room.member_joined', room.id));
      const roomHears = owner.client.next(event('room.member_joined', room.id));
      await owner.client.call('room.invite', { roomId: room.id, userId: guestUser.user.id });
      expect((await invited).data).toMatchObject({ user: { id: guestUser.user.id }, invitedBy: owner.user.id, room: { id: room.id } });
      await invitedElsewhere;
      expect((await roomHears).data.user.id).toBe(guestUser.user.id);

      // Now a member on both devices: it is listed and its messages arrive live.
      expect((await guestUser.client.call('room.list')).rooms.map((r: { id: string }) => r.id)).toContain(room.id);
      const live = otherDevice.next(event('message.created', room.id));
      await owner.client.call('message.send', { roomId: room.id, text: 'welcome', clientMsgId: 'w' });
      expect((await live).data.text).toBe('welcome');
    });

    it('lets only members invite, answers unknown users and bad data, and fills up with ROOM_FULL', async () => {
      const owner = await person('fowner', 0);
      const outsider = await person('fout', 1);
      const { room } = await owner.client.call('room.create', { name: 'small', kind: 'private' });
      expect(code(await outsider.client.request('room.invite', { roomId: room.id, userId: outsider.user.id }))).toBe('FORBIDDEN');
      expect(code(await owner.client.request('room.invite', { roomId: room.id, userId: 'unobody' }))).toBe('NOT_FOUND');
      expect(code(await owner.client.request('room.invite', { roomId: room.id }))).toBe('BAD_REQUEST');

      const others = await Promise.all([1, 2, 3].map((i) => guest(stack.apiUrl, uniqueName(`full${i}`))));
      for (const o of others.slice(0, 3)) await owner.client.call('room.invite', { roomId: room.id, userId: o.user.id });
      // Owner + 3 = 4 = ROOM_MAX_MEMBERS.
      expect(code(await owner.client.request('room.invite', { roomId: room.id, userId: outsider.user.id }))).toBe('ROOM_FULL');
      const { room: open } = await owner.client.call('room.create', { name: 'open-small' });
      for (const o of others) {
        const c = await WsClient.connect(stack.gatewayUrls[0], o.token);
        clients.push(c);
        await c.call('room.join', { roomId: open.id });
      }
      expect(code(await outsider.client.request('room.join', { roomId: open.id }))).toBe('ROOM_FULL');
    });
  });

  describe('direct messages', () => {
    it('creates one DM room for a pair, even when both open it at the same instant, and tells every device', async () => {
      const a = await person('dma', 0);
      const b = await person('dmb', 1);
      const bPhone = await device(b, 0);
      const opened = bPhone.next((f) => f.type === 'dm.opened');
      const [fromA, fromB] = await Promise.all([
        a.client.call('dm.open', { userId: b.user.id }),
        b.client.call('dm.open', { userId: a.user.id }),
      ]);
      expect(fromA.room.id).toBe(fromB.room.id);
      expect(fromA.room).toMatchObject({ kind: 'dm', memberCount: 2 });
      expect((await opened).data.room.id).toBe(fromA.room.id);
      expect((await a.client.call('dm.open', { userId: b.user.id })).room.id).toBe(fromA.room.id);

      const atPhone = bPhone.next(event('message.created', fromA.room.id));
      await a.client.call('message.send', { roomId: fromA.room.id, text: 'psst', clientMsgId: 'p' });
      expect((await atPhone).data.text).toBe('psst');

      const c = await person('dmc', 1);
      expect(code(await c.client.request('message.send', { roomId: fromA.room.id, text: 'me too', clientMsgId: 'c' }))).toBe('FORBIDDEN');
      expect(code(await c.client.request('room.join', { roomId: fromA.room.id }))).toBe('FORBIDDEN');
      expect(code(await a.client.request('room.invite', { roomId: fromA.room.id, userId: c.user.id }))).toBe('BAD_REQUEST');
      expect(code(await a.client.request('dm.open', { userId: a.user.id }))).toBe('BAD_REQUEST');
      expect(code(await a.client.request('dm.open', { userId: 'unobody' }))).toBe('NOT_FOUND');
      expect(code(await a.client.request('dm.open', {}))).toBe('BAD_REQUEST');
    });

    it('lets a user who left a DM back in by opening it again, history included', async () => {
      const a = await person('dlva', 0);
      const b = await person('dlvb', 1);
      const { room } = await a.client.call('dm.open', { userId: b.user.id });
      await b.client.call('message.send', { roomId: room.id, text: 'before you left', clientMsgId: 'bl' });
      await a.client.call('room.leave', { roomId: room.id });
      expect(code(await a.client.request('message.history', { roomId: room.id }))).toBe('FORBIDDEN');

      const bHears = b.client.next(event('room.member_joined', room.id));
      const reopened = await a.client.call('dm.open', { userId: b.user.id });
      expect(reopened.room.id).toBe(room.id);
      expect((await bHears).data.user.id).toBe(a.user.id);
      expect((await a.client.call('message.history', { roomId: room.id })).messages.map((m: { text: string }) => m.text)).toEqual(['before you left']);
      const live = a.client.next(event('message.created', room.id));
      await b.client.call('message.send', { roomId: room.id, text: 'welcome back', clientMsgId: 'wb' });
      expect((await live).data.text).toBe('welcome back');
    });
  });

  describe('messages: replies, edits, deletes, reactions', () => {
    async function pair(): Promise<{ a: Person; b: Person; mod: Person; roomId: string }> {
      const a = await person('ma', 0);
      const b = await person('mb', 1);
      const mod = await person('mmod', 1);
      const { room } = await a.client.call('room.create', { name: uniqueName('m') });
      await b.client.call('room.join', { roomId: room.id });
      await mod.client.call('room.join', { roomId: room.id });
      await a.client.call('room.set_role', { roomId: room.id, userId: mod.user.id, role: 'moderator' });
      return { a, b, mod, roomId: room.id };
    }

    it('carries replyTo and returns a thread with threadOf', async () => {
      const { a, b, roomId } = await pair();
      const root = (await a.client.call('message.send', { roomId, text: 'root', clientMsgId: 'r' })).message;
      await a.client.call('message.send', { roomId, text: 'not in thread', clientMsgId: 'n' });
      const live = a.client.next((f) => event('message.created', roomId)(f) && f.data.replyTo === root.id);
      const reply = (await b.client.call('message.send', { roomId, text: 'answer', clientMsgId: 'a', replyTo: root.id })).message;
      expect(reply.replyTo).toBe(root.id);
      expect((await live).data.id).toBe(reply.id);
      const thread = await a.client.call('message.history', { roomId, threadOf: root.id });
      expect(thread.root.id).toBe(root.id);
      expect(thread.messages.map((m: { text: string }) => m.text)).toEqual(['answer']);

      const { room: other } = await a.client.call('room.create', { name: uniqueName('o') });
      expect(code(await a.client.request('message.send', { roomId: other.id, text: 'x', clientMsgId: 'x', replyTo: root.id }))).toBe('BAD_REQUEST');
      expect(code(await a.client.request('message.send', { roomId, text: 'x', clientMsgId: 'y', replyTo: `${roomId}:999` }))).toBe('NOT_FOUND');
      expect(code(await a.client.request('message.history', { roomId, threadOf: `${roomId}:999` }))).toBe('NOT_FOUND');
    });

    it('lets only the author edit, and everyone sees editedAt and the new text', async () => {
      const { a, b, mod, roomId } = await pair();
      const m = (await a.client.call('message.send', { roomId, text: 'tpyo', clientMsgId: 'e' })).message;
      const seen = b.client.next(event('message.updated', roomId));
      const edited = (await a.client.call('message.edit', { messageId: m.id, text: 'typo' })).message;
      expect(edited).toMatchObject({ id: m.id, seq: m.seq, text: 'typo', editedAt: expect.any(String) });
      expect((await seen).data).toEqual(edited);
      expect(code(await b.client.request('message.edit', { messageId: m.id, text: 'mine now' }))).toBe('FORBIDDEN');
      expect(code(await mod.client.request('message.edit', { messageId: m.id, text: 'mod edit' }))).toBe('FORBIDDEN');
      expect(code(await a.client.request('message.edit', { messageId: m.id, text: '' }))).toBe('BAD_REQUEST');
      expect(code(await a.client.request('message.edit', { messageId: 'garbage', text: 'x' }))).toBe('NOT_FOUND');
      const outsider = await person('eout', 0);
      expect(code(await outsider.client.request('message.edit', { messageId: m.id, text: 'x' }))).toBe('FORBIDDEN');
      expect((await b.client.call('message.history', { roomId })).messages[0].text).toBe('typo');
    });

    it('lets the author or a moderator delete, leaving a tombstone without text everywhere', async () => {
      const { a, b, mod, roomId } = await pair();
      const first = (await a.client.call('message.send', { roomId, text: 'secret one', clientMsgId: 'd1' })).message;
      const second = (await a.client.call('message.send', { roomId, text: 'secret two', clientMsgId: 'd2' })).message;
      expect(code(await b.client.request('message.delete', { messageId: first.id }))).toBe('FORBIDDEN');

      const gone = b.client.next(event('message.deleted', roomId));
      await a.client.call('message.delete', { messageId: first.id });
      expect((await gone).data).toMatchObject({ id: first.id, roomId, seq: first.seq });
      await mod.client.call('message.delete', { messageId: second.id });
      expect(code(await a.client.request('message.delete', { messageId: first.id }))).toBe('NOT_FOUND');
      expect(code(await a.client.request('message.edit', { messageId: first.id, text: 'back' }))).toBe('NOT_FOUND');

      const history = await b.client.call('message.history', { roomId });
      expect(history.messages.map((m: { seq: number; text: string; deletedAt?: string }) => [m.seq, m.text, Boolean(m.deletedAt)])).toEqual([
        [first.seq, '', true],
        [second.seq, '', true],
      ]);
      const rest = await a.client.call('resume', { rooms: { [roomId]: 0 } });
      expect(rest.replayed).toBe(2);
      expect(JSON.stringify(a.client.frames.slice(-3))).not.toContain('secret');
    });

    it('keeps one reaction per user and emoji and broadcasts counts', async () => {
      const { a, b, roomId } = await pair();
      const m = (await a.client.call('message.send', { roomId, text: 'react to me', clientMsgId: 'rx' })).message;
      const first = a.client.next(event('reaction.updated', roomId));
      await b.client.call('reaction.add', { messageId: m.id, emoji: '👍' });
      expect((await first).data).toEqual({ messageId: m.id, roomId, emoji: '👍', count: 1, userIds: [b.user.id] });
      await b.client.call('reaction.add', { messageId: m.id, emoji: '👍' }); // again: no change, no event
      // Events reach each member in order, but a and b at their own pace: match by count.
      const second = b.client.next((f) => event('reaction.updated', roomId)(f) && f.data.count === 2);
      await a.client.call('reaction.add', { messageId: m.id, emoji: '👍' });
      expect((await second).data).toMatchObject({ count: 2, userIds: [b.user.id, a.user.id] });
      const removed = a.client.next((f) => event('reaction.updated', roomId)(f) && f.data.count === 1 && f.data.userIds[0] === a.user.id);
      await b.client.call('reaction.remove', { messageId: m.id, emoji: '👍' });
      expect((await removed).data).toMatchObject({ count: 1, userIds: [a.user.id] });
      expect(a.client.events('reaction.updated').filter((f) => f.data.roomId === roomId)).toHaveLength(3);

      const history = await b.client.call('message.history', { roomId });
      expect(history.messages[0].reactions).toEqual([{ emoji: '👍', count: 1, userIds: [a.user.id] }]);
      const outsider = await person('rout', 0);
      expect(code(await outsider.client.request('reaction.add', { messageId: m.id, emoji: '👍' }))).toBe('FORBIDDEN');
      expect(code(await a.client.request('reaction.add', { messageId: `${roomId}:999`, emoji: '👍' }))).toBe('NOT_FOUND');
      expect(code(await a.client.request('reaction.add', { messageId: m.id, emoji: '' }))).toBe('BAD_REQUEST');
    });
  });

  describe('read markers and unread counts', () => {
    it('counts unread from seqs, never moves the marker back, and keeps it across reconnects', async () => {
      const a = await person('ua', 0);
      const b = await person('ub', 1);
      const { room } = await a.client.call('room.create', { name: uniqueName('u') });
      await b.client.call('room.join', { roomId: room.id });
      for (let i = 1; i <= 5; i++) await a.client.call('message.send', { roomId: room.id, text: `n${i}`, clientMsgId: `n${i}` });
      const unread = async (c: WsClient) => (await c.call('room.list')).rooms.find((r: { id: string }) => r.id === room.id).unread;
      expect(await unread(b.client)).toBe(5);
      expect(await unread(a.client)).toBe(0); // your own messages are read

      const bPhone = await device(b, 0);
      const onPhone = bPhone.next(event('read.updated', room.id));
      expect(await b.client.call('read.mark', { roomId: room.id, seq: 3 })).toEqual({ seq: 3 });
      expect((await onPhone).data).toEqual({ roomId: room.id, userId: b.user.id, seq: 3 });
      expect(await b.client.call('read.mark', { roomId: room.id, seq: 1 })).toEqual({ seq: 3 });
      expect(await b.client.call('read.mark', { roomId: room.id, seq: 999 })).toEqual({ seq: 5 });
      await b.client.call('read.mark', { roomId: room.id, seq: 3 });

      await b.client.close();
      await bPhone.close();
      await a.client.call('message.send', { roomId: room.id, text: 'n6', clientMsgId: 'n6' });
      const again = await device(b, 0);
      expect(await unread(again)).toBe(1);
      const rest = await fetch(`${stack.apiUrl}/api/rooms`, { headers: { authorization: `Bearer ${b.token}` } });
      expect(((await rest.json()) as { rooms: { id: string; unread: number }[] }).rooms.find((r) => r.id === room.id)!.unread).toBe(1);

      const outsider = await person('uout', 0);
      expect(code(await outsider.client.request('read.mark', { roomId: room.id, seq: 1 }))).toBe('FORBIDDEN');
      expect(code(await again.request('read.mark', { roomId: room.id, seq: -1 }))).toBe('BAD_REQUEST');
    });
  });

  describe('moderation', () => {
    async function moderatedRoom() {
      const owner = await person('owner', 0);
      const mod = await person('mod', 1);
      const member = await person('member', 0);
      const { room } = await owner.client.call('room.create', { name: uniqueName('mod') });
      await mod.client.call('room.join', { roomId: room.id });
      await member.client.call('room.join', { roomId: room.id });
      const promoted = member.client.next(event('room.member_updated', room.id));
      await owner.client.call('room.set_role', { roomId: room.id, userId: mod.user.id, role: 'moderator' });
      expect((await promoted).data).toEqual({ roomId: room.id, userId: mod.user.id, role: 'moderator' });
      return { owner, mod, member, roomId: room.id };
    }

    it('kicks: the member leaves (everyone hears it), can no longer send, and may rejoin', async () => {
      const { owner, mod, member, roomId } = await moderatedRoom();
      expect(code(await member.client.request('room.kick', { roomId, userId: mod.user.id }))).toBe('FORBIDDEN');
      expect(code(await mod.client.request('room.kick', { roomId, userId: owner.user.id }))).toBe('FORBIDDEN');
      const heard = owner.client.next(event('room.member_left', roomId));
      const kickedHears = member.client.next(event('room.member_left', roomId));
      await mod.client.call('room.kick', { roomId, userId: member.user.id });
      expect((await heard).data).toEqual({ roomId, userId: member.user.id, reason: 'kicked', by: mod.user.id });
      await kickedHears;
      expect(code(await member.client.request('message.send', { roomId, text: 'hey', clientMsgId: 'k' }))).toBe('FORBIDDEN');
      // No longer subscribed: a new message does not reach the kicked socket.
      await owner.client.call('message.send', { roomId, text: 'after kick', clientMsgId: 'ak' });
      await member.client.call('room.list');
      expect(member.client.events('message.created').filter((f) => f.data.text === 'after kick')).toHaveLength(0);
      await member.client.call('room.join', { roomId });
      expect(code(await mod.client.request('room.kick', { roomId, userId: 'unobody' }))).toBe('NOT_FOUND');
      expect(code(await mod.client.request('room.kick', { roomId }))).toBe('BAD_REQUEST');
    });

    it('bans: the user is removed and cannot rejoin, be invited, or send until unbanned', async () => {
      const { owner, mod, member, roomId } = await moderatedRoom();
      const left = owner.client.next(event('room.member_left', roomId));
      const banned = owner.client.next(event('room.ban_updated', roomId));
      await mod.client.call('room.ban', { roomId, userId: member.user.id, reason: 'spam' });
      expect((await left).data).toMatchObject({ userId: member.user.id, reason: 'banned' });
      expect((await banned).data).toEqual({ roomId, userId: member.user.id, banned: true, by: mod.user.id });
      expect(code(await member.client.request('room.join', { roomId }))).toBe('FORBIDDEN');
      expect(code(await owner.client.request('room.invite', { roomId, userId: member.user.id }))).toBe('FORBIDDEN');
      expect(code(await member.client.request('message.send', { roomId, text: 'x', clientMsgId: 'b' }))).toBe('FORBIDDEN');
      expect(code(await member.client.request('room.unban', { roomId, userId: member.user.id }))).toBe('FORBIDDEN');
      // Moderators see who is banned (after a reload too); plain members may not look.
      const { bans } = await owner.client.call('room.bans', { roomId });
      expect(bans).toEqual([{ user: member.user, by: mod.user.id, reason: 'spam', at: expect.any(String) }]);
      expect(code(await owner.client.request('room.bans', { roomId: 'r-none' }))).toBe('NOT_FOUND');
      const unbanned = owner.client.next(event('room.ban_updated', roomId));
      await mod.client.call('room.unban', { roomId, userId: member.user.id });
      expect((await unbanned).data).toEqual({ roomId, userId: member.user.id, banned: false, by: mod.user.id });
      await member.client.call('room.join', { roomId });
      expect(code(await mod.client.request('room.unban', { roomId, userId: member.user.id }))).toBe('NOT_FOUND');
    });

    it('mutes for a duration: every write (send, edit, delete, react, invite) is FORBIDDEN with retryAfterMs until unmuted', async () => {
      const { owner, mod, member, roomId } = await moderatedRoom();
      const { message: own } = await member.client.call('message.send', { roomId, text: 'mine', clientMsgId: 'own' });
      const heard = owner.client.next(event('room.member_muted', roomId));
      await mod.client.call('room.mute', { roomId, userId: member.user.id, durationMs: 60_000 });
      expect((await heard).data).toMatchObject({ roomId, userId: member.user.id, until: expect.any(String), by: mod.user.id });
      const refused = await member.client.request('message.send', { roomId, text: 'muted?', clientMsgId: 'mu' });
      expect(refused.error).toMatchObject({ code: 'FORBIDDEN', retryAfterMs: expect.any(Number) });
      expect(refused.error!.retryAfterMs!).toBeGreaterThan(50_000);
      // The member list says who is muted, and until when.
      const listed = (await owner.client.call('room.members', { roomId })).members;
      expect(listed.find((m: { id: string }) => m.id === member.user.id).mutedUntil).toBe((await heard).data.until);
      expect(listed.find((m: { id: string }) => m.id === mod.user.id).mutedUntil).toBeUndefined();
      expect(code(await member.client.request('room.bans', { roomId }))).toBe('FORBIDDEN');
      const outsider = await person('mout', 0);
      for (const [op, data] of [
        ['message.edit', { messageId: own.id, text: 'edited while muted' }],
        ['message.delete', { messageId: own.id }],
        ['reaction.add', { messageId: own.id, emoji: '👍' }],
        ['room.invite', { roomId, userId: outsider.user.id }],
      ] as const) {
        expect((await member.client.request(op, data)).error).toMatchObject({ code: 'FORBIDDEN', retryAfterMs: expect.any(Number) });
      }
      expect((await member.client.call('message.history', { roomId })).messages.map((m: { text: string; reactions: unknown[] }) => [m.text, m.reactions])).toEqual([['mine', []]]);
      expect(code(await member.client.request('room.mute', { roomId, userId: mod.user.id, durationMs: 1000 }))).toBe('FORBIDDEN');
      expect(code(await mod.client.request('room.mute', { roomId, userId: member.user.id, durationMs: 5 }))).toBe('BAD_REQUEST');
      await mod.client.call('room.unmute', { roomId, userId: member.user.id });
      await member.client.call('message.send', { roomId, text: 'free', clientMsgId: 'fr' });
      expect((await owner.client.call('room.members', { roomId })).members.find((m: { id: string }) => m.id === member.user.id).mutedUntil).toBeUndefined();
    });

    it('lets only the owner change roles', async () => {
      const { owner, mod, member, roomId } = await moderatedRoom();
      expect(code(await mod.client.request('room.set_role', { roomId, userId: member.user.id, role: 'moderator' }))).toBe('FORBIDDEN');
      expect(code(await owner.client.request('room.set_role', { roomId, userId: member.user.id, role: 'owner' }))).toBe('BAD_REQUEST');
      const members = await member.client.call('room.members', { roomId });
      expect(members.members.find((m: { id: string }) => m.id === mod.user.id).role).toBe('moderator');
      expect(members.members.find((m: { id: string }) => m.id === owner.user.id).role).toBe('owner');
      await owner.client.call('room.set_role', { roomId, userId: mod.user.id, role: 'member' });
      expect(code(await mod.client.request('room.kick', { roomId, userId: member.user.id }))).toBe('FORBIDDEN');
    });
  });
});
