import { Envelope, Message, Room } from '@chat/protocol';
import { AppendOutcome, MemberState, MessageDraft, MessageRepository, RoomRepository } from '@chat/store';
import { Outbox } from '@chat/streams';
import { flushed } from '../../../../test/support/fakes';
import { MembershipCache } from '../membership-cache';
import { MessagingMetrics } from '../messaging.metrics';
import { OpContext } from '../op-context';
import { MessageSendHandler, SendItem } from './message-send.handler';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

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
  readonly appendBatch = jest.fn(async (drafts: MessageDraft[]): Promise<AppendOutcome[]> =>
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
const effects = (out: Outbox) => flushed(out) as Promise<Effect[]>;

const alice = { id: 'u-alice', username: 'alice' };
const env: Envelope = { f: '', u: alice.id, n: alice.username, g: 'gw-1', c: 'c-1', t: NOW };

describe('MessageSendHandler', () => {
  let rooms: FakeRooms;
  let messages: FakeMessages;
  let handler: MessageSendHandler;
  let out: Outbox;
  let n: number;

  function item(data: Partial<SendItem['data']>, opts: { ref?: string | null; redelivered?: boolean } = {}): SendItem {
    n++;
    const ctx: OpContext = {
      env,
      user: alice,
      ref: opts.ref === null ? undefined : (opts.ref ?? `s${n}`),
      out,
      entryKey: `chat:in:{0}#${n}-0`,
      redelivered: opts.redelivered ?? false,
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
    );
    out = new Outbox();
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
      out = new Outbox();
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
  });

  describe('storing', () => {
    it('stores every accepted send in ONE appendBatch call, as drafts in order', async () => {
      await handler.handleBatch([item({ text: 'a' }), item({ text: 'b', roomId: 'r1' }), item({ text: 'c' })]);
      expect(messages.appendBatch).toHaveBeenCalledTimes(1);
      expect(messages.appendBatch.mock.calls[0][0]).toEqual([
        { roomId: 'r1', authorId: 'u-alice', authorName: 'alice', text: 'a', clientMsgId: 'm1', replyTo: undefined },
        { roomId: 'r1', authorId: 'u-alice', authorName: 'alice', text: 'b', clientMsgId: 'm2', replyTo: undefined },
        { roomId: 'r1', authorId: 'u-alice', authorName: 'alice', text: 'c', clientMsgId: 'm3', replyTo: undefined },
      ]);
    });

    it('a created message gets an ok reply with the message and a message.created room event', async () => {
      await handler.handleBatch([item({ text: 'hi there' })]);
      const message = messages.stored[0];
      expect(await effects(out)).toEqual([
        { command: 'publish', channel: 'gw:gw-1', header: { c: 'c-1' }, frame: { type: 'reply', ref: 's1', ok: true, data: { message } } },
        { command: 'spublish', channel: 'room:{r1}', frame: { type: 'message.created', data: message } },
      ]);
    });

    it('without a ref the message is still published to the room', async () => {
      await handler.handleBatch([item({}, { ref: null })]);
      expect((await effects(out)).map((e) => [e.command, e.frame.type])).toEqual([['spublish', 'message.created']]);
    });

    it('a duplicate (clientMsgId already used) gets the first message back and no event', async () => {
      await handler.handleBatch([item({ clientMsgId: 'dup', text: 'original' })]);
      out = new Outbox();
      await handler.handleBatch([item({ clientMsgId: 'dup', text: 'retry' })]);
      expect(messages.stored).toHaveLength(1);
      expect(await effects(out)).toEqual([
        { command: 'publish', channel: 'gw:gw-1', header: { c: 'c-1' }, frame: { type: 'reply', ref: 's2', ok: true, data: { message: messages.stored[0] } } },
      ]);
    });

    it('a duplicate that is a redelivered entry publishes its event again (the first run never did)', async () => {
      await handler.handleBatch([item({ clientMsgId: 'dup' })]);
      out = new Outbox(); // the first run's outbox was never flushed
      await handler.handleBatch([item({ clientMsgId: 'dup' }, { redelivered: true })]);
      expect((await effects(out)).map((e) => [e.command, e.frame.type])).toEqual([
        ['publish', 'reply'],
        ['spublish', 'message.created'],
      ]);
      expect((await effects(out))[1].frame.data).toEqual(messages.stored[0]);
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
    });

    it('a transient failure during the one-by-one fallback propagates', async () => {
      const transient = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
      messages.appendBatch.mockRejectedValueOnce(new Error('value too long')).mockRejectedValueOnce(transient);
      await expect(handler.handleBatch([item({}), item({})])).rejects.toBe(transient);
    });

    // BUG (message-send.handler.ts handleBatch, `|| accepted.length === 1`): when the run has
    // ONE accepted send and its append fails for a non-transient reason, the error is
    // rethrown instead of answered INTERNAL as it is for the same draft inside a larger run.
    // BatchProcessor does not catch around handleBatch, so the whole stream batch fails; the
    // worker retries it (re-running every other op of the batch) and after 5 attempts
    // acknowledges it with no reply at all, although the op carried a ref.
    it('a lone send whose append fails non-transiently is answered INTERNAL like in a larger run', async () => {
      messages.appendBatch.mockRejectedValue(Object.assign(new Error('invalid byte sequence for encoding "UTF8"'), { code: '22021' }));
      await expect(handler.handleBatch([item({ text: 'poison' })])).resolves.toBeUndefined();
      expect((await effects(out)).map((e) => e.frame)).toEqual([
        { type: 'reply', ref: 's1', ok: false, error: { code: 'INTERNAL', message: 'message could not be stored' } },
      ]);
    });

    // BUG (message-send.handler.ts check/checkReplyTo, uncommitted work in progress): the
    // replyTo check runs before the (author, clientMsgId) de-duplication. A send that was
    // committed in a batch whose publish failed is redelivered; if its replyTo target was
    // deleted in the meantime (e.g. later in that same batch), the retry answers NOT_FOUND and
    // never publishes message.created, although the message is stored with a seq. PROTOCOL.md:
    // sending again with a used clientMsgId returns the first message. (A mute applied after
    // the send hits the same path with FORBIDDEN.)
    it('a redelivered send whose replyTo target was deleted since still returns and publishes the stored message', async () => {
      messages.stored.push(messageOf({ roomId: 'r1', authorId: 'u-bob', authorName: 'bob', text: 'root', clientMsgId: 'b1' }, 1));
      await handler.handleBatch([item({ clientMsgId: 'reply-1', replyTo: 'r1:1' })]);
      const stored = messages.stored.find((m) => m.clientMsgId === 'reply-1')!;
      messages.stored[0] = { ...messages.stored[0], deletedAt: new Date(NOW).toISOString() };

      out = new Outbox(); // first run's effects never went out
      await handler.handleBatch([item({ clientMsgId: 'reply-1', replyTo: 'r1:1' }, { ref: 's1', redelivered: true })]);
      expect((await effects(out)).map((e) => [e.command, e.frame.type, e.frame.ok])).toEqual([
        ['publish', 'reply', true],
        ['spublish', 'message.created', undefined],
      ]);
      expect(messages.stored.filter((m) => m.clientMsgId === 'reply-1')).toEqual([stored]);
    });
  });
});
