import { ChatError, Envelope, envelopeFields, ErrorCode } from '@chat/protocol';
import { StreamEntry } from '@chat/redis';
import { WriteFence } from '@chat/store';
import { ChatEffects, Effects, FencedError } from '@chat/streams';
import { chatEventsOf } from '../../../test/support/chat-events';
import { FakeLogger, fakeLogger, flushed } from '../../../test/support/fakes';
import { BatchProcessor } from './batch-processor';
import { MessageSendHandler, SendItem } from './handlers/message-send.handler';
import { MessagingMetrics } from './messaging.metrics';
import { OpContext } from './op-context';
import { Dispatch } from './op-table';

const STREAM = 'chat:in:{3}';

function entry(id: string, f: string, who: Partial<Envelope> = {}): StreamEntry {
  return { id, fields: envelopeFields({ f, u: 'u-alice', n: 'alice', g: 'gw-1', c: 'c-1', t: 1_700_000_000_000, ...who }) };
}

const frame = (type: string, data?: unknown, ref?: string) => JSON.stringify({ type, ref, data });
const send = (clientMsgId: string, ref?: string) => frame('message.send', { roomId: 'r1', text: `text ${clientMsgId}`, clientMsgId }, ref);
const join = (ref?: string) => frame('room.join', { roomId: 'r1' }, ref);

interface Published {
  channel: string;
  header: Record<string, unknown>;
  frame: unknown;
}

/** What the batch would publish (a room SPUBLISH with an empty header). */
async function published(out: Effects): Promise<Published[]> {
  return (await flushed(out)).map(({ channel, header = {}, frame }) => ({ channel, header, frame }));
}

describe('BatchProcessor', () => {
  let log: string[];
  let contexts: { type: string; ctx: OpContext; data: unknown }[];
  let table: Map<string, Dispatch>;
  let handleBatch: jest.Mock<Promise<void>, [SendItem[]]>;
  let runFenced: jest.Mock<Promise<void>, [WriteFence, () => Promise<void>]>;
  let onOpFailed: jest.Mock<void, []>;
  let logger: FakeLogger;
  let fence: WriteFence;
  let processor: BatchProcessor;

  /** The shard path: every batch under the shard's fence. */
  const processBatch = (entries: StreamEntry[], redelivered = false) => processor.process(STREAM, entries, { redelivered, fence });

  function recording(type: string, impl?: (ctx: OpContext, data: unknown) => Promise<void>) {
    return {
      handle: jest.fn(async (ctx: OpContext, data: unknown) => {
        log.push(`${type} ${ctx.entryKey}`);
        contexts.push({ type, ctx, data });
        if (impl) await impl(ctx, data);
      }),
    };
  }

  function handle(type: string, writes: boolean, impl?: (ctx: OpContext, data: unknown) => Promise<void>): void {
    table.set(type, { handler: recording(type, impl), writes });
  }

  beforeEach(() => {
    log = [];
    contexts = [];
    table = new Map();
    handle('room.list', false);
    handle('resume', false);
    handle('$catchup', false);
    handle('$session.sync', false);
    handle('room.join', true);
    handle('room.create', true);
    handleBatch = jest.fn(async (items: SendItem[]) => {
      log.push(`send[${items.map((i) => i.data.clientMsgId).join(',')}]`);
    });
    runFenced = jest.fn(async (_fence: WriteFence, fn: () => Promise<void>) => {
      log.push('BEGIN');
      await fn();
      log.push('COMMIT');
    });
    onOpFailed = jest.fn();
    logger = fakeLogger();
    fence = { shard: 3, epoch: 7, assertValid: jest.fn() };
    processor = new BatchProcessor(table, { handleBatch } as unknown as MessageSendHandler, runFenced, onOpFailed, MessagingMetrics.get(), logger, { shards: 1, eventsMaxLen: 1000 });
  });

  it('handles entries in stream order, one handler call each', async () => {
    await processBatch([entry('1-0', join()), entry('2-0', frame('room.list')), entry('3-0', frame('resume', { rooms: { r1: 4 } }))]);
    expect(log.filter((l) => !['BEGIN', 'COMMIT'].includes(l))).toEqual([`room.join ${STREAM}#1-0`, `room.list ${STREAM}#2-0`, `resume ${STREAM}#3-0`]);
  });

  it('gives handlers the sender, ref, envelope, entry, entry key, fence and parsed data', async () => {
    const e = entry('7-1', frame('room.join', { roomId: 'r9', junk: 1 }, 'j1'), { u: 'u-bob', n: 'bob', g: 'gw-2', c: 'c-9' });
    const out = await processBatch([e]);
    expect(contexts).toHaveLength(1);
    const { ctx, data } = contexts[0];
    expect(data).toEqual({ roomId: 'r9' });
    expect(ctx.user).toEqual({ id: 'u-bob', username: 'bob' });
    expect(ctx.ref).toBe('j1');
    expect(ctx.env).toMatchObject({ u: 'u-bob', g: 'gw-2', c: 'c-9', t: 1_700_000_000_000 });
    expect(ctx.entry).toEqual({ stream: STREAM, id: '7-1', fields: e.fields });
    expect(ctx.entryKey).toBe(`${STREAM}#7-1`);
    expect(ctx.fence).toBe(fence);
    expect(ctx.out).toBe(out);
    expect(out).toBeInstanceOf(ChatEffects);
  });

  it.each([true, false])('passes redelivered=%p to every handler', async (redelivered) => {
    await processBatch([entry('1-0', frame('room.list')), entry('2-0', send('m1'))], redelivered);
    expect(contexts[0].ctx.redelivered).toBe(redelivered);
    expect(handleBatch.mock.calls[0][0][0].ctx.redelivered).toBe(redelivered);
  });

  describe('chat events', () => {
    it('go to the event stream of the batch’s shard, capped at EVENTS_MAXLEN, in op order', async () => {
      handle('room.join', true, async (ctx) => ctx.out.chatEvent('member.joined', { roomId: 'r1', userId: ctx.user.id }));
      const out = await processBatch([entry('1-0', join()), entry('2-0', join(), { u: 'u-bob' })]);
      expect(chatEventsOf(out)).toEqual([
        { stream: 'chat:events:{3}', type: 'member.joined', data: { roomId: 'r1', userId: 'u-alice' } },
        { stream: 'chat:events:{3}', type: 'member.joined', data: { roomId: 'r1', userId: 'u-bob' } },
      ]);
      expect(out.list.find(([c]) => c === 'xadd')!.slice(2, 5)).toEqual(['MAXLEN', '~', '1000']);
    });

    it('of an op that fails are dropped with its other effects', async () => {
      handle('room.join', true, async (ctx) => {
        ctx.out.chatEvent('member.joined', { roomId: 'r1', userId: ctx.user.id });
        throw new Error('boom after the event was collected');
      });
      const out = await processBatch([entry('1-0', join('j1'))]);
      expect(chatEventsOf(out)).toEqual([]);
      expect(out.deadLetters.map((d) => d.id)).toEqual(['1-0']);
    });

    it('have no stream off the shard path: a read op that tried would be set aside, not appended', async () => {
      handle('room.list', false, async (ctx) => ctx.out.chatEvent('member.joined', { roomId: 'r1', userId: ctx.user.id }));
      const out = await processor.process('chat:reads', [entry('1-0', frame('room.list', undefined, 'l1'))], { redelivered: false });
      expect(chatEventsOf(out)).toEqual([]);
      expect(out.deadLetters.map((d) => d.id)).toEqual(['1-0']);
    });
  });

  describe('writes and reads', () => {
    it('a write op runs inside runFenced, with the batch’s fence', async () => {
      await processBatch([entry('1-0', join('j1'))]);
      expect(runFenced).toHaveBeenCalledTimes(1);
      expect(runFenced.mock.calls[0][0]).toBe(fence);
      expect(log).toEqual(['BEGIN', `room.join ${STREAM}#1-0`, 'COMMIT']);
    });

    it('each write op gets its own fenced transaction', async () => {
      await processBatch([entry('1-0', join()), entry('2-0', frame('room.create', { name: 'x' }))]);
      expect(log).toEqual(['BEGIN', `room.join ${STREAM}#1-0`, 'COMMIT', 'BEGIN', `room.create ${STREAM}#2-0`, 'COMMIT']);
    });

    it('a read op runs directly, outside any fenced transaction', async () => {
      await processBatch([entry('1-0', frame('room.list'))]);
      expect(runFenced).not.toHaveBeenCalled();
      expect(log).toEqual([`room.list ${STREAM}#1-0`]);
    });

    it('without a fence (the read path) reads still run', async () => {
      await processor.process(STREAM, [entry('1-0', frame('room.list'))], { redelivered: false });
      expect(log).toEqual([`room.list ${STREAM}#1-0`]);
      expect(contexts[0].ctx.fence).toBeUndefined();
    });

    it('without a fence a write op is refused BAD_REQUEST and its handler never runs', async () => {
      const out = await processor.process(STREAM, [entry('1-0', join('j1')), entry('2-0', frame('room.list'))], { redelivered: false });
      expect(runFenced).not.toHaveBeenCalled();
      expect(log).toEqual([`room.list ${STREAM}#2-0`]);
      expect(await published(out)).toEqual([
        {
          channel: 'gw:gw-1',
          header: { c: 'c-1' },
          frame: { type: 'reply', ref: 'j1', ok: false, error: { code: 'BAD_REQUEST', message: 'op room.join is not handled on this stream' } },
        },
      ]);
    });
  });

  describe('message.send runs', () => {
    it('consecutive sends go to the send handler as ONE run, in order', async () => {
      await processBatch([entry('1-0', send('m1', 's1')), entry('2-0', send('m2')), entry('3-0', send('m3', 's3'))]);
      expect(handleBatch).toHaveBeenCalledTimes(1);
      const run = handleBatch.mock.calls[0][0];
      expect(run.map((i) => i.data)).toEqual([
        { roomId: 'r1', text: 'text m1', clientMsgId: 'm1' },
        { roomId: 'r1', text: 'text m2', clientMsgId: 'm2' },
        { roomId: 'r1', text: 'text m3', clientMsgId: 'm3' },
      ]);
      expect(run.map((i) => i.ctx.ref)).toEqual(['s1', undefined, 's3']);
      expect(run.map((i) => i.ctx.entryKey)).toEqual([`${STREAM}#1-0`, `${STREAM}#2-0`, `${STREAM}#3-0`]);
      expect(run.map((i) => i.ctx.fence)).toEqual([fence, fence, fence]);
    });

    it('another op in between splits the runs and keeps stream order', async () => {
      await processBatch([
        entry('1-0', send('m1')),
        entry('2-0', send('m2')),
        entry('3-0', join()),
        entry('4-0', send('m3')),
        entry('5-0', frame('room.list')),
      ]);
      expect(log).toEqual(['send[m1,m2]', 'BEGIN', `room.join ${STREAM}#3-0`, 'COMMIT', 'send[m3]', `room.list ${STREAM}#5-0`]);
      expect(handleBatch).toHaveBeenCalledTimes(2);
    });

    it('a dropped entry inside a run does not split it', async () => {
      await processBatch([entry('1-0', send('m1')), { id: '2-0', fields: ['f', 'x'] }, entry('3-0', send('m2'))]);
      expect(log).toEqual(['send[m1,m2]']);
    });

    it('a send with bad data is answered BAD_REQUEST and left out of the run', async () => {
      const out = await processBatch([
        entry('1-0', send('m1')),
        entry('2-0', frame('message.send', { roomId: 'r1', text: '   ', clientMsgId: 'm2' }, 'bad')),
        entry('3-0', send('m3')),
      ]);
      expect(log).toEqual(['send[m1,m3]']);
      expect(await published(out)).toEqual([
        {
          channel: 'gw:gw-1',
          header: { c: 'c-1' },
          frame: { type: 'reply', ref: 'bad', ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('text') } },
        },
      ]);
    });

    it('a transient failure of the send handler propagates', async () => {
      const err = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
      handleBatch.mockRejectedValueOnce(err);
      await expect(processBatch([entry('1-0', send('m1'))])).rejects.toBe(err);
    });

    it('without a send handler (the read path) a send is refused BAD_REQUEST', async () => {
      processor = new BatchProcessor(table, undefined, runFenced, onOpFailed, MessagingMetrics.get(), logger, { shards: 1, eventsMaxLen: 1000 });
      const out = await processor.process(STREAM, [entry('1-0', send('m1', 's1'))], { redelivered: false });
      expect((await published(out)).map((p) => p.frame)).toEqual([
        { type: 'reply', ref: 's1', ok: false, error: { code: 'BAD_REQUEST', message: 'op message.send is not handled on this stream' } },
      ]);
    });
  });

  describe('entries that cannot be processed', () => {
    it('drops a malformed envelope without throwing and goes on', async () => {
      const out = await processBatch([{ id: '1-0', fields: ['f', frame('room.list'), 'u', 'u-alice'] }, entry('2-0', frame('room.list'))]);
      expect(log).toEqual([`room.list ${STREAM}#2-0`]);
      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(await published(out)).toEqual([]);
      expect(out.deadLetters).toEqual([]);
    });

    it('answers a bad client frame BAD_REQUEST with its ref', async () => {
      const out = await processBatch([entry('1-0', frame('room.join', { roomId: '' }, 'r-7'))]);
      expect(log).toEqual([]);
      expect(await published(out)).toEqual([
        {
          channel: 'gw:gw-1',
          header: { c: 'c-1' },
          frame: { type: 'reply', ref: 'r-7', ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('room.join') } },
        },
      ]);
    });

    it('answers a frame that is not JSON with a BAD_REQUEST error event', async () => {
      const out = await processBatch([entry('1-0', 'nope')]);
      expect(await published(out)).toEqual([
        { channel: 'gw:gw-1', header: { c: 'c-1' }, frame: { type: 'error', data: { code: 'BAD_REQUEST', message: 'frame is not valid JSON' } } },
      ]);
    });

    it('answers a known op this stream has no handler for BAD_REQUEST', async () => {
      const out = await processBatch([entry('1-0', frame('typing.start', { roomId: 'r1' }, 't1'))]);
      expect(await published(out)).toEqual([
        {
          channel: 'gw:gw-1',
          header: { c: 'c-1' },
          frame: { type: 'reply', ref: 't1', ok: false, error: { code: 'BAD_REQUEST', message: 'op typing.start is not handled on this stream' } },
        },
      ]);
    });

    it('answers an internal-looking entry that is not JSON BAD_REQUEST instead of failing the batch', async () => {
      const out = await processBatch([entry('1-0', frame('room.list')), entry('2-0', '{"type":"$catchup","data":{'), entry('3-0', frame('room.list'))]);
      expect(log).toEqual([`room.list ${STREAM}#1-0`, `room.list ${STREAM}#3-0`]);
      expect((await published(out)).map((p) => p.frame)).toEqual([{ type: 'error', data: { code: 'BAD_REQUEST', message: 'frame is not valid JSON' } }]);
    });
  });

  describe('handler failures', () => {
    it('a ChatError becomes an error reply to the sender; later entries still run', async () => {
      handle('room.join', true, async () => {
        throw new ChatError(ErrorCode.FORBIDDEN, 'you are banned from this room');
      });
      const out = await processBatch([entry('1-0', join('j1')), entry('2-0', frame('room.list'))]);
      expect(log).toEqual(['BEGIN', `room.join ${STREAM}#1-0`, `room.list ${STREAM}#2-0`]);
      expect(await published(out)).toEqual([
        {
          channel: 'gw:gw-1',
          header: { c: 'c-1' },
          frame: { type: 'reply', ref: 'j1', ok: false, error: { code: 'FORBIDDEN', message: 'you are banned from this room' } },
        },
      ]);
      expect(out.deadLetters).toEqual([]);
      expect(onOpFailed).not.toHaveBeenCalled();
    });

    it('a ChatError of an op without ref becomes an error event, with retryAfterMs kept', async () => {
      handle('room.list', false, async () => {
        throw new ChatError(ErrorCode.RATE_LIMITED, 'slow down', 1200);
      });
      const out = await processBatch([entry('1-0', frame('room.list'))]);
      expect((await published(out)).map((p) => p.frame)).toEqual([{ type: 'error', data: { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1200 } }]);
    });

    it('a ChatError after the op added effects: those are rolled back, only the error reply remains', async () => {
      handle('room.list', false, async (ctx) => void ctx.out.toRoom('r0', '{"type":"before"}'));
      handle('room.join', true, async (ctx) => {
        ctx.out.toRoom('r1', '{"type":"member.joined","data":{}}');
        ctx.out.userJoinedRoom(ctx.user.id, 'r1');
        throw new ChatError(ErrorCode.ROOM_FULL, 'room r1 is full');
      });
      const out = await processBatch([entry('1-0', frame('room.list')), entry('2-0', join('j1'))]);
      expect(out.list.map(([command, key]) => [command, key])).toEqual([
        ['spublish', 'room:{0}:r0'],
        ['spublish', 'gw:{3}:gw-1'],
      ]);
      expect((await published(out))[1].frame).toEqual({ type: 'reply', ref: 'j1', ok: false, error: { code: 'ROOM_FULL', message: 'room r1 is full' } });
    });

    it.each([
      ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
      ['08006', Object.assign(new Error('connection failure'), { code: '08006' })],
      ['a FencedError', new FencedError('shard 3: lease lost; not committing')],
      ['CHF01 (stale epoch)', Object.assign(new Error('shard 3: epoch 7 is stale'), { code: 'CHF01' })],
    ])('%s propagates so the batch is retried or the shard given up', async (_code, err) => {
      handle('room.join', true, async () => {
        throw err;
      });
      await expect(processBatch([entry('1-0', frame('room.list')), entry('2-0', join('j1')), entry('3-0', frame('room.list'))])).rejects.toBe(err);
      expect(log).toEqual([`room.list ${STREAM}#1-0`, 'BEGIN', `room.join ${STREAM}#2-0`]);
    });

    describe('an op failing on its own (not a ChatError, not transient)', () => {
      const typeError = () => new TypeError("Cannot read properties of undefined (reading 'id')");

      it('answers INTERNAL, dead-letters the entry with its stream, id, fields and error, and the batch goes on', async () => {
        handle('room.create', true, async () => {
          throw typeError();
        });
        const failing = entry('1-0', frame('room.create', { name: 'x' }, 'c1'));
        const out = await processBatch([failing, entry('2-0', frame('room.list'))]);

        expect(log).toEqual(['BEGIN', `room.create ${STREAM}#1-0`, `room.list ${STREAM}#2-0`]);
        expect(logger.error).toHaveBeenCalledTimes(1);
        expect((await published(out)).map((p) => p.frame)).toEqual([
          { type: 'reply', ref: 'c1', ok: false, error: { code: 'INTERNAL', message: 'internal error' } },
        ]);
        expect(out.deadLetters).toEqual([{ stream: STREAM, id: '1-0', fields: failing.fields, error: "Cannot read properties of undefined (reading 'id')" }]);
      });

      it('keeps a database error’s SQLSTATE with its message', async () => {
        handle('room.create', true, async () => {
          throw Object.assign(new Error('value too long for type character varying(80)'), { code: '22001' });
        });
        const out = await processBatch([entry('1-0', frame('room.create', { name: 'x' }))]);
        expect(out.deadLetters.map((d) => d.error)).toEqual(['22001 value too long for type character varying(80)']);
      });

      it('calls onOpFailed (what it cached may not have been committed)', async () => {
        handle('room.create', true, async () => {
          throw typeError();
        });
        await processBatch([entry('1-0', frame('room.create', { name: 'x' })), entry('2-0', frame('room.list'))]);
        expect(onOpFailed).toHaveBeenCalledTimes(1);
      });

      it('rolls back the effects the op added before failing', async () => {
        handle('room.join', true, async (ctx) => {
          ctx.out.toRoom('r1', '{"type":"member.joined","data":{}}');
          throw typeError();
        });
        const out = await processBatch([entry('1-0', join('j1'))]);
        expect(out.list.map(([command, channel]) => [command, channel])).toEqual([['spublish', 'gw:{3}:gw-1']]);
        expect((await published(out))[0].frame).toMatchObject({ ref: 'j1', ok: false, error: { code: 'INTERNAL' } });
      });

      it('a read op failing on its own is dead-lettered too', async () => {
        handle('room.list', false, async () => {
          throw typeError();
        });
        const out = await processBatch([entry('1-0', frame('room.list'))]);
        expect(out.deadLetters.map((d) => d.id)).toEqual(['1-0']);
        expect((await published(out)).map((p) => p.frame)).toEqual([{ type: 'error', data: { code: 'INTERNAL', message: 'internal error' } }]);
      });
    });

    // A write op may update the membership cache inside its transaction and then fail
    // transiently (connection lost at COMMIT): the cache must not keep what PostgreSQL rolled back.
    it('a write op failing transiently after touching in-memory state calls onOpFailed before the error propagates', async () => {
      const err = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
      handle('room.join', true, async () => {
        throw err;
      });
      await expect(processBatch([entry('1-0', join('j1'))])).rejects.toBe(err);
      expect(onOpFailed).toHaveBeenCalledTimes(1);
    });
  });

  describe('senders already answered UNAVAILABLE (their batch waited for the database)', () => {
    it('get UNAVAILABLE with retryAfterMs for each request with a ref, nothing for the others', async () => {
      const out = processor.unavailable(STREAM, [entry('1-0', send('m1', 's1')), entry('2-0', send('m2')), entry('3-0', 'not json')], 3000);
      expect(await published(out)).toEqual([
        {
          channel: 'gw:gw-1',
          header: { c: 'c-1' },
          frame: {
            type: 'reply',
            ref: 's1',
            ok: false,
            error: { code: 'UNAVAILABLE', message: expect.stringContaining('retry with the same clientMsgId'), retryAfterMs: 3000 },
          },
        },
      ]);
    });

    it('their ops still run and publish, but their replies (ok or error) are dropped; others are answered', async () => {
      handle('room.join', true, async (ctx) => {
        ctx.out.replyOk(ctx.env, ctx.ref);
        ctx.out.toRoom('r1', frame('member.joined'));
      });
      handle('room.create', true, async (ctx) => {
        throw new ChatError(ErrorCode.FORBIDDEN, `no ${ctx.ref}`);
      });
      const entries = [entry('1-0', join('j1')), entry('2-0', frame('room.create', { name: 'x' }, 'c1')), entry('3-0', join('j2'), { c: 'c-2' })];
      const out = await processor.process(STREAM, entries, { redelivered: true, fence, answered: new Set(['1-0', '2-0']) });
      expect((await published(out)).map((p) => [p.channel, p.frame])).toEqual([
        ['room:{r1}', { type: 'member.joined' }],
        ['gw:gw-1', { type: 'reply', ref: 'j2', ok: true, data: {} }],
        ['room:{r1}', { type: 'member.joined' }],
      ]);
    });
  });

  describe('internal ops', () => {
    it('decodes $catchup with its data and no ref', async () => {
      await processBatch([entry('1-0', JSON.stringify({ type: '$catchup', data: { roomId: 'r1', after: 12 } }))], true);
      expect(contexts).toHaveLength(1);
      expect(contexts[0].type).toBe('$catchup');
      expect(contexts[0].data).toEqual({ roomId: 'r1', after: 12 });
      expect(contexts[0].ctx.ref).toBeUndefined();
      expect(contexts[0].ctx.redelivered).toBe(true);
    });

    it('decodes $session.sync without data', async () => {
      await processBatch([entry('1-0', JSON.stringify({ type: '$session.sync', data: undefined }))]);
      expect(contexts.map((c) => [c.type, c.data])).toEqual([['$session.sync', undefined]]);
    });

    it.each([
      ['negative seq', { type: '$catchup', data: { roomId: 'r1', after: -1 } }],
      ['missing room', { type: '$catchup', data: { after: 1 } }],
      ['no data', { type: '$catchup' }],
      ['unknown internal op', { type: '$nope', data: {} }],
    ])('drops invalid internal data (%s) silently', async (_name, op) => {
      const out = await processBatch([entry('1-0', JSON.stringify(op)), entry('2-0', frame('room.list'))]);
      expect(log).toEqual([`room.list ${STREAM}#2-0`]);
      expect(await published(out)).toEqual([]);
    });
  });
});
