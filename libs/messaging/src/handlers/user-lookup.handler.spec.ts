import { ChatError, envelopeFields, ErrorCode } from '@chat/protocol';
import { fakeLogger, flushed } from '../../../../test/support/fakes';
import { BatchProcessor } from '../batch-processor';
import { MessagingMetrics } from '../messaging.metrics';
import { readDispatchTable, ReadHandlers } from '../op-table';
import { UserLookupHandler } from './user-lookup.handler';

/** `user.lookup` as the reads path runs it: parsed, answered, errors turned into replies. */
describe('UserLookupHandler', () => {
  const bob = { id: 'u-bob', username: 'Bob' };
  const lookup = new UserLookupHandler({
    requireByUsername: async (name: string) => {
      if (name.toLowerCase() === 'bob') return bob;
      throw new ChatError(ErrorCode.NOT_FOUND, `no user named "${name}"`);
    },
  });
  const processor = new BatchProcessor(
    readDispatchTable({ 'user.lookup': lookup } as unknown as ReadHandlers),
    undefined,
    async (_fence, fn) => fn(),
    () => undefined,
    MessagingMetrics.get(),
    fakeLogger(),
    { shards: 1, eventsMaxLen: 1000 },
  );

  async function replyTo(data: unknown): Promise<unknown> {
    const f = JSON.stringify({ type: 'user.lookup', ref: 'q1', data });
    const out = await processor.process('chat:reads', [{ id: '1-0', fields: envelopeFields({ f, u: 'u-alice', n: 'alice', g: 'gw-1', c: 'c-1', t: 1 }) }], {
      redelivered: false,
    });
    return (await flushed(out)).map((p) => p.frame)[0];
  }

  it('answers the user the repository found', async () => {
    expect(await replyTo({ username: 'bOB' })).toEqual({ type: 'reply', ref: 'q1', ok: true, data: { user: { id: 'u-bob', username: 'Bob' } } });
  });

  it('answers NOT_FOUND for a name nobody has', async () => {
    expect(await replyTo({ username: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it.each([[{}], [{ username: 'a' }], [{ username: 'has space' }], [{ username: 'x'.repeat(33) }], [{ username: 42 }]])(
    'answers BAD_REQUEST for %j',
    async (data) => {
      expect(await replyTo(data)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    },
  );
});
