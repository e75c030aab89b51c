import Redis from 'ioredis';
import { Envelope } from '@chat/protocol';
import { Outbox } from './outbox';

type Call = [command: string, ...args: unknown[]];

/** A MULTI that records the commands queued on it; `exec` answers what the test says. */
class FakeMulti {
  readonly calls: Call[] = [];
  execResult: unknown = [];
  execError?: Error;
  readonly exec = jest.fn(async () => {
    if (this.execError) throw this.execError;
    return this.execResult;
  });

  constructor() {
    for (const name of ['publish', 'spublish', 'sadd', 'srem', 'xack', 'xtrim']) {
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        this.calls.push([name, ...args]);
        return this;
      };
    }
  }
}

function fakeRedis(exec: { result?: unknown; error?: Error } = {}) {
  const multis: FakeMulti[] = [];
  const redis = {
    multi: jest.fn(() => {
      const m = new FakeMulti();
      if ('result' in exec) m.execResult = exec.result;
      m.execError = exec.error;
      multis.push(m);
      return m;
    }),
  };
  return { redis: redis as unknown as Redis, multi: redis.multi, multis };
}

const env: Envelope = { f: '{}', u: 'u1', n: 'alice', g: 'gw-7', c: 'c-42', t: 1 };

describe('Outbox', () => {
  let out: Outbox;

  beforeEach(() => {
    out = new Outbox();
  });

  /** The commands a flush issues, in order. */
  async function flushed(ack?: { stream: string; group: string; ids: string[] }): Promise<Call[]> {
    const { redis, multis } = fakeRedis();
    await out.flush(redis, ack);
    expect(multis).toHaveLength(1);
    expect(multis[0].exec).toHaveBeenCalledTimes(1);
    return multis[0].calls;
  }

  describe('replies', () => {
    it('replyOk with a ref publishes the reply to the sender’s gateway, addressed to its connection', async () => {
      out.replyOk(env, 'r1', '{"room":{"id":"x"}}');
      expect(out.size).toBe(1);
      expect(await flushed()).toEqual([
        ['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r1","ok":true,"data":{"room":{"id":"x"}}}'],
      ]);
    });

    it('replyOk defaults to empty data', async () => {
      out.replyOk(env, 'r1');
      expect(await flushed()).toEqual([['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r1","ok":true,"data":{}}']]);
    });

    it('replyOk without a ref sends nothing', () => {
      out.replyOk(env, undefined, '{"x":1}');
      expect(out.size).toBe(0);
    });

    it('replyError with a ref is a failed reply', async () => {
      out.replyError(env, 'r2', { code: 'FORBIDDEN', message: 'no' });
      expect(await flushed()).toEqual([
        ['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r2","ok":false,"error":{"code":"FORBIDDEN","message":"no"}}'],
      ]);
    });

    it('replyError without a ref is an error event', async () => {
      out.replyError(env, undefined, { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 500 });
      expect(await flushed()).toEqual([
        ['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"error","data":{"code":"RATE_LIMITED","message":"slow down","retryAfterMs":500}}'],
      ]);
    });

    it('toConnection carries controls with or without a frame', async () => {
      out.toConnection(env, { sub: [{ roomId: 'r1', after: 3 }] });
      out.toConnection(env, { sync: ['r1'] }, '{"type":"x"}');
      expect(await flushed()).toEqual([
        ['publish', 'gw:gw-7', '{"sub":[{"roomId":"r1","after":3}],"c":"c-42"}\n'],
        ['publish', 'gw:gw-7', '{"sync":["r1"],"c":"c-42"}\n{"type":"x"}'],
      ]);
    });
  });

  describe('other effects', () => {
    it('room events go out by sharded publish on the room channel, with their seq when they have one', async () => {
      out.toRoom('r9', '{"type":"message.created","data":{}}', 12);
      out.toRoom('r9', '{"type":"typing.updated","data":{}}');
      expect(await flushed()).toEqual([
        ['spublish', 'room:{r9}', '12\n{"type":"message.created","data":{}}'],
        ['spublish', 'room:{r9}', '\n{"type":"typing.updated","data":{}}'],
      ]);
    });

    it('user deliveries go to the user channel without a connection id', async () => {
      out.toUser('u5', { sub: [{ roomId: 'r1', after: 0 }] }, '{"type":"y"}');
      expect(await flushed()).toEqual([['publish', 'user:u5', '{"sub":[{"roomId":"r1","after":0}]}\n{"type":"y"}']]);
    });

    it('keeps the room-set cache in step', async () => {
      out.userJoinedRoom('u5', 'r1');
      out.userLeftRoom('u5', 'r2');
      expect(await flushed()).toEqual([
        ['sadd', 'chat:user-rooms:{u5}', 'r1'],
        ['srem', 'chat:user-rooms:{u5}', 'r2'],
      ]);
    });

    it('raw commands run on the same MULTI', async () => {
      out.raw((m) => m.sadd('k', 'v'));
      expect(await flushed()).toEqual([['sadd', 'k', 'v']]);
    });
  });

  describe('flush', () => {
    const ack = { stream: 'chat:in:{3}', group: 'messages', ids: ['5-0', '5-1', '7-0'] };

    it('issues every effect in order, then XACK and XTRIM MINID of the last id, in ONE multi', async () => {
      out.replyOk(env, 'a');
      out.toRoom('r1', 'E1');
      out.replyError(env, 'b', { code: 'NOT_FOUND', message: 'gone' });
      out.userJoinedRoom('u1', 'r1');

      const { redis, multi, multis } = fakeRedis();
      await out.flush(redis, ack);
      expect(multi).toHaveBeenCalledTimes(1);
      expect(multis[0].exec).toHaveBeenCalledTimes(1);
      expect(multis[0].calls.map((c) => c[0])).toEqual(['publish', 'spublish', 'publish', 'sadd', 'xack', 'xtrim']);
      expect(multis[0].calls.slice(-2)).toEqual([
        ['xack', 'chat:in:{3}', 'messages', '5-0', '5-1', '7-0'],
        ['xtrim', 'chat:in:{3}', 'MINID', '~', '7-0'],
      ]);
    });

    it('acknowledges a batch that produced no effects', async () => {
      expect(await flushed(ack)).toEqual([
        ['xack', 'chat:in:{3}', 'messages', '5-0', '5-1', '7-0'],
        ['xtrim', 'chat:in:{3}', 'MINID', '~', '7-0'],
      ]);
    });

    it('publishes without acknowledging when no ack is given', async () => {
      out.toRoom('r1', 'E');
      expect(await flushed()).toEqual([['spublish', 'room:{r1}', '\nE']]);
    });

    it('does not open a MULTI when there is nothing to do', async () => {
      const { redis, multi } = fakeRedis();
      await out.flush(redis);
      await out.flush(redis, { stream: 's', group: 'g', ids: [] });
      expect(multi).not.toHaveBeenCalled();
    });

    it('rejects with the error of a failed command inside the MULTI', async () => {
      out.toRoom('r1', 'E');
      const err = new Error('MOVED 1234 10.0.0.2:6379');
      const { redis } = fakeRedis({
        result: [
          [null, 1],
          [err, null],
          [null, 0],
        ],
      });
      await expect(out.flush(redis, ack)).rejects.toBe(err);
    });

    it('rejects when exec rejects', async () => {
      out.toRoom('r1', 'E');
      const err = new Error('Connection is closed.');
      const { redis } = fakeRedis({ error: err });
      await expect(out.flush(redis, ack)).rejects.toBe(err);
    });

    it('rejects with "MULTI aborted" when the transaction was discarded', async () => {
      out.toRoom('r1', 'E');
      const { redis } = fakeRedis({ result: null });
      await expect(out.flush(redis, ack)).rejects.toThrow('MULTI aborted');
    });
  });
});
