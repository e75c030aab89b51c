import { Envelope, Message, Room } from '@chat/protocol';
import { AppendOutcome, MemberState, MessageDraft, MessageRepository, RoomRepository, WriteFence } from '@chat/store';
import { ChatEffects, Effects, FencedError } from '@chat/streams';
import { chatEventsOf } from '../../../../test/support/chat-events';
import { flushed } from '../../../../test/support/fakes';
import { MembershipCache } from '../membership-cache';
import { MessagingMetrics } from '../messaging.metrics';
import { OpContext } from '../op-context';
import { MessageSendHandler, SendItem } from './message-send.handler';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const EVENTS = { shards: 1, batch: { shard: 0, eventsMaxLen: 100 } };

function room(id: string): Room {
  return { id, name: id, topic: '', kind: 'public', createdBy: 'u-bob', createdAt: '2026-01-01T00:00:00.000Z', lastSeq: 0, memberCount: 2 };
}

function messageOf(d: MessageDraft, seq: number): Message {
  return {
    id: `${d.roomId}:${seq}`,
    roomId: d.roomId,
    seq,
    author: { id: d.authorId, username: d.authorName },
    text: d.text,
    createdAt: new Date(NOW).toISOString(),
    clientMsgId: d.clientMsgId,
    ...(d.replyTo ? { replyTo: d.replyTo } : {}),
    reactions: [],
    attachments: [],
  };
}

class FakeRooms {
  readonly members = new Map<string, Map<string, MemberState>>();
  readonly findById = jest.fn(async (id: string) => (this.members.has(id) ? room(id) : undefined));
  readonly memberStates = jest.fn(async (id: string) => new Map(this.members.get(id)));
}

/** appendBatch over an in-memory table with the (author, clientMsgId) unique key. */
class FakeMessages {
  readonly stored: Message[] = [];
  readonly appendBatch = jest.fn(async (drafts: MessageDraft[], _opts?: { mayExist?: boolean; fence?: WriteFence }): Promise<AppendOutcome[]> =>
    drafts.map((d) => {
      const existing = this.stored.find((m) => m.author.id === d.authorId && m.clientMsgId === d.clientMsgId);
      if (existing) return { message: existing, created: false };
      const seq = this.stored.filter((m) => m.roomId === d.roomId).length + 1;
      const message = messageOf(d, seq);
      this.stored.push(message);
      return { message, created: true };
    }),
  );
  readonly find = jest.fn(async (roomId: string, seq: number) => this.stored.find((m) => m.roomId === roomId && m.seq === seq));
  readonly findByClientMsgId = jest.fn(async (authorId: string, clientMsgId: string) =>
    this.stored.find((m) => m.author.id === authorId && m.clientMsgId === clientMsgId),
  );
}

interface Effect {
  command: string;
  channel: string;
  header?: Record<string, unknown>;
  frame: { type: string; ref?: string; ok?: boolean; data?: unknown; error?: unknown };
}

/** What the handler published, in order, with the frames typed for the assertions. */
const effects = (out: Effects) => flushed(out) as Promise<Effect[]>;

const dataError = (message: string, code: string) => Object.assign(new Error(message), { code });

const alice = { id: 'u-alice', username: 'alice' };
const env: Envelope = { f: '', u: alice.id, n: alice.username, g: 'gw-1', c: 'c-1', t: NOW };

describe('MessageSendHandler', () => {
  let rooms: FakeRooms;
  let messages: FakeMessages;
  let handler: MessageSendHandler;
  let out: ChatEffects;
  let n: number;
  let fence: WriteFence;

  function item(data: Partial<SendItem['data']>, opts: { ref?: string | null; redelivered?: boolean } = {}): SendItem {
    n++;
    const ctx: OpContext = {
      env,
      user: alice,
      ref: opts.ref === null ? undefined : (opts.ref ?? `s${n}`),
      out,
      entry: { stream: 'chat:in:{0}', id: `${n}-0`, fields: ['f', `send ${n}`] },
      entryKey: `chat:in:{0}#${n}-0`,
      redelivered: opts.redelivered ?? false,
      fence,
    };
    return { ctx, data: { roomId: 'r1', text: `hello ${n}`, clientMsgId: `m${n}`, ...data } };
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    n = 0;
    rooms = new FakeRooms();
    rooms.members.set('r1', new Map([['u-alice', { role: 'member', mutedUntil: null }], ['u-bob', { role: 'owner', mutedUntil: null }]]));
    rooms.members.set('r2', new Map([['u-bob', { role: 'owner', mutedUntil: null }]]));
    messages = new FakeMessages();
    handler = new MessageSendHandler(
      messages as unknown as MessageRepository,
      new MembershipCache(rooms as unknown as RoomRepository),
      MessagingMetrics.get(),
      { claimStates: async () => new Map() },
    );
    out = new ChatEffects(EVENTS);
    fence = { shard: 0, epoch: 4, assertValid: jest.fn() };
  });

  afterEach(() => jest.useRealTimers());

  describe('checks', () => {
    it('refuses non-members, unknown rooms and replies into another room, without storing them', async () => {
      const ok1 = item({ text: 'first' });
      const notMember = item({ roomId: 'r2' });
      const unknownRoom = item({ roomId: 'r-nope' });
      const foreignReply = item({ replyTo: 'r2:1' });
      const ok2 = item({ text: 'second' });
      await handler.handleBatch([ok1, notMember, unknownRoom, foreignReply, ok2]);

      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
      expect(messages.appendBatch.mock.calls[0][0].map((d) => d.clientMsgId)).toEqual([ok1.data.clientMsgId, ok2.data.clientMsgId]);
      expect(messages.find).not.toHaveBeenCalled();

      const replies = (await effects(out)).filter((e) => e.command === 'publish').map((e) => e.frame);
      expect(replies).toEqual([
        { type: 'reply', ref: 's2', ok: false, error: { code: 'FORBIDDEN', message: 'you are not a member of room r2' } },
        { type: 'reply', ref: 's3', ok: false, error: { code: 'NOT_FOUND', message: 'room r-nope does not exist' } },
        { type: 'reply', ref: 's4', ok: false, error: { code: 'BAD_REQUEST', message: 'replyTo r2:1 is not a message of room r1' } },
        { type: 'reply', ref: 's1', ok: true, data: { message: expect.objectContaining({ id: 'r1:1', text: 'first' }) } },
        { type: 'reply', ref: 's5', ok: true, data: { message: expect.objectContaining({ id: 'r1:2', text: 'second' }) } },
      ]);
    });

    it('stores nothing when nothing is accepted', async () => {
      await handler.handleBatch([item({ roomId: 'r2' }), item({ roomId: 'r-nope' })]);
      expect(messages.appendBatch).not.toHaveBeenCalled();
      expect((await effects(out)).map((e) => e.frame.ok)).toEqual([false, false]);
    });

    it('an error without ref is an error event to the connection', async () => {
      await handler.handleBatch([item({ roomId: 'r2' }, { ref: null })]);
      expect(await effects(out)).toEqual([
        { command: 'publish', channel: 'gw:gw-1', header: { c: 'c-1' }, frame: { type: 'error', data: { code: 'FORBIDDEN', message: expect.any(String) } } },
      ]);
    });

    it('refuses a muted member with FORBIDDEN and the time left; an expired mute does not count', async () => {
      rooms.members.get('r1')!.set('u-alice', { role: 'member', mutedUntil: NOW + 60_000 });
      await handler.handleBatch([item({})]);
      expect(messages.appendBatch).not.toHaveBeenCalled();
      expect((await effects(out))[0].frame).toEqual({
        type: 'reply',
        ref: 's1',
        ok: false,
        error: { code: 'FORBIDDEN', message: expect.stringContaining('muted'), retryAfterMs: 60_000 },
      });

      jest.setSystemTime(NOW + 60_001);
      out = new ChatEffects(EVENTS);
      await handler.handleBatch([item({})]);
      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
    });

    it('accepts a reply to a live message of the same room, and refuses a missing or deleted one', async () => {
      messages.stored.push(messageOf({ roomId: 'r1', authorId: 'u-bob', authorName: 'bob', text: 'root', clientMsgId: 'b1' }, 1));
      messages.stored.push({ ...messageOf({ roomId: 'r1', authorId: 'u-bob', authorName: 'bob', text: 'gone', clientMsgId: 'b2' }, 2), deletedAt: new Date(NOW).toISOString() });
      await handler.handleBatch([item({ replyTo: 'r1:1' }), item({ replyTo: 'r1:2' }), item({ replyTo: 'r1:99' })]);

      expect(messages.appendBatch.mock.calls.map((c) => c[0].map((d) => d.replyTo))).toEqual([['r1:1']]);
      expect((await effects(out)).filter((e) => e.command === 'publish').map((e) => [e.frame.ref, e.frame.ok, (e.frame.error as { code?: string })?.code])).toEqual([
        ['s2', false, 'NOT_FOUND'],
        ['s3', false, 'NOT_FOUND'],
        ['s1', true, undefined],
      ]);
    });

    it('a transient failure while checking propagates', async () => {
      const err = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
      rooms.findById.mockRejectedValueOnce(err);
      await expect(handler.handleBatch([item({})])).rejects.toBe(err);
      expect(messages.appendBatch).not.toHaveBeenCalled();
    });

    it('a fence error while checking propagates', async () => {
      const err = new FencedError('shard 0: lease lost; not committing');
      rooms.findById.mockRejectedValueOnce(err);
      await expect(handler.handleBatch([item({})])).rejects.toBe(err);
    });

    it('a check failing on its own (a data error for one send): that send INTERNAL and dead-lettered, the others stored in one appendBatch and published', async () => {
      const err = dataError('invalid byte sequence for encoding "UTF8": 0xc3 0x28', '22021');
      const impl = rooms.findById.getMockImplementation()!;
      rooms.findById.mockImplementation(async (id) => {
        if (id === 'r-bad') throw err;
        return impl(id);
      });
      const ok1 = item({ text: 'first' });
      const bad = item({ roomId: 'r-bad' });
      const ok2 = item({ text: 'second' });
      await handler.handleBatch([ok1, bad, ok2]);

      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
      expect(messages.appendBatch.mock.calls[0][0].map((d) => d.text)).toEqual(['first', 'second']);
      const sent = await effects(out);
      expect(sent.filter((e) => e.command === 'publish').map((e) => e.frame)).toEqual([
        { type: 'reply', ref: 's2', ok: false, error: { code: 'INTERNAL', message: 'message could not be stored' } },
        { type: 'reply', ref: 's1', ok: true, data: { message: expect.objectContaining({ id: 'r1:1', text: 'first' }) } },
        { type: 'reply', ref: 's3', ok: true, data: { message: expect.objectContaining({ id: 'r1:2', text: 'second' }) } },
      ]);
      expect(sent.filter((e) => e.command === 'spublish').map((e) => (e.frame.data as Message).text)).toEqual(['first', 'second']);
      expect(out.deadLetters).toEqual([{ ...bad.ctx.entry, error: '22021 invalid byte sequence for encoding "UTF8": 0xc3 0x28' }]);
    });

    it('a check failing on its own clears the membership cache: the next send reads its room again', async () => {
      await handler.handleBatch([item({})]); // r1 cached
      rooms.findById.mockClear();
      rooms.findById.mockRejectedValueOnce(new TypeError('boom')); // r-bad
      await handler.handleBatch([item({ roomId: 'r-bad' }), item({})]);
      expect(rooms.findById.mock.calls.map(([id]) => id)).toEqual(['r-bad', 'r1']);
    });
  });

  describe('storing', () => {
    it('stores every accepted send in ONE appendBatch call, as drafts in order', async () => {
      await handler.handleBatch([item({ text: 'a' }), item({ text: 'b', roomId: 'r1' }), item({ text: 'c' })]);
      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
      const none = { names: [], room: false };
      expect(messages.appendBatch.mock.calls[0][0]).toEqual([
        { roomId: 'r1', authorId: 'u-alice', authorName: 'alice', text: 'a', clientMsgId: 'm1', replyTo: undefined, mentions: none },
        { roomId: 'r1', authorId: 'u-alice', authorName: 'alice', text: 'b', clientMsgId: 'm2', replyTo: undefined, mentions: none },
        { roomId: 'r1', authorId: 'u-alice', authorName: 'alice', text: 'c', clientMsgId: 'm3', replyTo: undefined, mentions: none },
      ]);
    });

    it('hands the store the names mentioned, and @room only from a moderator or the owner', async () => {
      const bobs = (data: Partial<SendItem['data']>) => {
        const it = item(data);
        return { ...it, ctx: { ...it.ctx, user: { id: 'u-bob', username: 'bob' } } };
      };
      await handler.handleBatch([item({ text: '@room hi @Bob' }), bobs({ text: '@room meeting, @alice' })]);
      expect(messages.appendBatch.mock.calls[0][0].map((d) => d.mentions)).toEqual([
        { names: ['bob'], room: false },
        { names: ['alice'], room: true },
      ]);
    });

    it('appendBatch gets the shard’s fence, and mayExist only when an entry is redelivered', async () => {
      await handler.handleBatch([item({}), item({})]);
      await handler.handleBatch([item({}), item({}, { redelivered: true })]);
      expect(messages.appendBatch.mock.calls.map(([, opts]) => opts)).toEqual([
        { mayExist: false, fence },
        { mayExist: true, fence },
      ]);
    });

    it('a created message gets an ok reply with the message and a message.created room event', async () => {
      await handler.handleBatch([item({ text: 'hi there' })]);
      const message = messages.stored[0];
      expect(await effects(out)).toEqual([
        { command: 'publish', channel: 'gw:gw-1', header: { c: 'c-1' }, frame: { type: 'reply', ref: 's1', ok: true, data: { message } } },
        { command: 'spublish', channel: 'room:{r1}', frame: { type: 'message.created', data: message } },
      ]);
      expect(chatEventsOf(out)).toEqual([{ stream: 'chat:events:{0}', type: 'message.created', data: { message } }]);
    });

    it('without a ref the message is still published to the room', async () => {
      await handler.handleBatch([item({}, { ref: null })]);
      expect((await effects(out)).map((e) => [e.command, e.frame.type])).toEqual([['spublish', 'message.created']]);
    });

    it('a duplicate (clientMsgId already used) gets the first message back and no event', async () => {
      await handler.handleBatch([item({ clientMsgId: 'dup', text: 'original' })]);
      out = new ChatEffects(EVENTS);
      await handler.handleBatch([item({ clientMsgId: 'dup', text: 'retry' })]);
      expect(messages.stored).toHaveLength(1);
      expect(await effects(out)).toEqual([
        { command: 'publish', channel: 'gw:gw-1', header: { c: 'c-1' }, frame: { type: 'reply', ref: 's2', ok: true, data: { message: messages.stored[0] } } },
      ]);
      expect(chatEventsOf(out)).toEqual([]);
    });

    it('a duplicate that is a redelivered entry publishes its event again (the first run never did)', async () => {
      await handler.handleBatch([item({ clientMsgId: 'dup' })]);
      out = new ChatEffects(EVENTS); // the first run's effects were never committed
      await handler.handleBatch([item({ clientMsgId: 'dup' }, { redelivered: true })]);
      expect((await effects(out)).map((e) => [e.command, e.frame.type])).toEqual([
        ['publish', 'reply'],
        ['spublish', 'message.created'],
      ]);
      expect((await effects(out))[1].frame.data).toEqual(messages.stored[0]);
      expect(chatEventsOf(out)).toEqual([{ stream: 'chat:events:{0}', type: 'message.created', data: { message: messages.stored[0] } }]);
    });

    it('a transient batch failure propagates with nothing answered or retried one by one', async () => {
      const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      messages.appendBatch.mockRejectedValueOnce(err);
      await expect(handler.handleBatch([item({}), item({})])).rejects.toBe(err);
      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
      expect(await effects(out)).toEqual([]);
    });

    it('a non-transient batch failure falls back to one by one: INTERNAL for the failing draft only', async () => {
      const impl = messages.appendBatch.getMockImplementation()!;
      messages.appendBatch.mockImplementation(async (drafts) => {
        if (drafts.some((d) => d.text === 'poison')) throw Object.assign(new Error('invalid byte sequence for encoding "UTF8"'), { code: '22021' });
        return impl(drafts);
      });
      await handler.handleBatch([item({ text: 'a' }), item({ text: 'poison' }), item({ text: 'c' })]);

      expect(messages.appendBatch.mock.calls.map((c) => c[0].map((d) => d.text))).toEqual([['a', 'poison', 'c'], ['a'], ['poison'], ['c']]);
      const sent = await effects(out);
      expect(sent.filter((e) => e.command === 'publish').map((e) => [e.frame.ref, e.frame.ok, (e.frame.error as { code?: string })?.code])).toEqual([
        ['s1', true, undefined],
        ['s2', false, 'INTERNAL'],
        ['s3', true, undefined],
      ]);
      expect(sent.filter((e) => e.command === 'spublish').map((e) => (e.frame.data as Message).text)).toEqual(['a', 'c']);
      expect(chatEventsOf(out).map((e) => (e.data as { message: Message }).message.text)).toEqual(['a', 'c']);
    });

    it('the failing draft of the one-by-one fallback is dead-lettered with its error; each redo carries the fence', async () => {
      const impl = messages.appendBatch.getMockImplementation()!;
      messages.appendBatch.mockImplementation(async (drafts, opts) => {
        if (drafts.some((d) => d.text === 'poison')) throw dataError('invalid byte sequence for encoding "UTF8"', '22021');
        return impl(drafts, opts);
      });
      const poison = item({ text: 'poison' });
      await handler.handleBatch([item({ text: 'a' }), poison]);
      expect(out.deadLetters).toEqual([{ ...poison.ctx.entry, error: '22021 invalid byte sequence for encoding "UTF8"' }]);
      expect(messages.appendBatch.mock.calls.slice(1).map(([, opts]) => opts)).toEqual([{ fence }, { fence }]);
    });

    it.each([
      ['a FencedError', new FencedError('shard 0: lease deadline passed; not committing')],
      ['a stale epoch (CHF01)', dataError('shard 0: epoch 4 is stale', 'CHF01')],
    ])('%s from appendBatch propagates, without a one-by-one retry or any answer', async (_name, err) => {
      messages.appendBatch.mockRejectedValueOnce(err);
      await expect(handler.handleBatch([item({}), item({})])).rejects.toBe(err);
      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
      expect(out.list).toEqual([]);
      expect(out.deadLetters).toEqual([]);
    });

    it('a transient failure during the one-by-one fallback propagates', async () => {
      const transient = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
      messages.appendBatch.mockRejectedValueOnce(new Error('value too long')).mockRejectedValueOnce(transient);
      await expect(handler.handleBatch([item({}), item({})])).rejects.toBe(transient);
    });

    it('a lone send whose append fails non-transiently is answered INTERNAL and dead-lettered like in a larger run', async () => {
      messages.appendBatch.mockRejectedValue(dataError('invalid byte sequence for encoding "UTF8"', '22021'));
      const poison = item({ text: 'poison' });
      await expect(handler.handleBatch([poison])).resolves.toBeUndefined();
      expect((await effects(out)).map((e) => e.frame)).toEqual([
        { type: 'reply', ref: 's1', ok: false, error: { code: 'INTERNAL', message: 'message could not be stored' } },
      ]);
      expect(out.deadLetters.map((d) => d.id)).toEqual([poison.ctx.entry.id]);
    });

    // A send committed in a batch whose effects never went out is redelivered; a check that
    // refuses it now (replyTo deleted since, or a mute applied since) must not hide the stored
    // message (PROTOCOL.md: a used clientMsgId returns the first message).
    it('a redelivered send whose replyTo target was deleted since still returns and publishes the stored message', async () => {
      messages.stored.push(messageOf({ roomId: 'r1', authorId: 'u-bob', authorName: 'bob', text: 'root', clientMsgId: 'b1' }, 1));
      await handler.handleBatch([item({ clientMsgId: 'reply-1', replyTo: 'r1:1' })]);
      const stored = messages.stored.find((m) => m.clientMsgId === 'reply-1')!;
      messages.stored[0] = { ...messages.stored[0], deletedAt: new Date(NOW).toISOString() };

      out = new ChatEffects(EVENTS); // first run's effects never went out
      await handler.handleBatch([item({ clientMsgId: 'reply-1', replyTo: 'r1:1' }, { ref: 's1', redelivered: true })]);
      expect((await effects(out)).map((e) => [e.command, e.frame.type, e.frame.ok])).toEqual([
        ['publish', 'reply', true],
        ['spublish', 'message.created', undefined],
      ]);
      expect(messages.stored.filter((m) => m.clientMsgId === 'reply-1')).toEqual([stored]);
    });
  });
});
