import { decodeRoomEvent, Envelope, envelopeFields } from '@chat/protocol';
import { shardOf } from '@chat/redis';
import { ChatEffects, internalErrorReply } from './chat-effects';
import { Effects } from './effects';

const env: Envelope = { f: '{}', u: 'u1', n: 'alice', g: 'gw-7', c: 'c-42', t: 1 };

const deadLetter = (id: string) => ({ stream: 'chat:in:{3}', id, fields: ['f', '{}'], error: 'boom' });

describe('ChatEffects', () => {
  let out: ChatEffects;

  beforeEach(() => {
    out = new ChatEffects({ shards: 8 });
  });

  describe('replies', () => {
    it('replyOk with a ref publishes the reply to the sender’s gateway, addressed to its connection', () => {
      out.replyOk(env, 'r1', '{"room":{"id":"x"}}');
      expect(out.size).toBe(1);
      expect(out.list).toEqual([['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r1","ok":true,"data":{"room":{"id":"x"}}}']]);
    });

    it('replyOk defaults to empty data', () => {
      out.replyOk(env, 'r1');
      expect(out.list).toEqual([['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r1","ok":true,"data":{}}']]);
    });

    it('replyOk without a ref sends nothing', () => {
      out.replyOk(env, undefined, '{"x":1}');
      expect(out.size).toBe(0);
    });

    it('replyError with a ref is a failed reply', () => {
      out.replyError(env, 'r2', { code: 'FORBIDDEN', message: 'no' });
      expect(out.list).toEqual([
        ['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r2","ok":false,"error":{"code":"FORBIDDEN","message":"no"}}'],
      ]);
    });

    it('replyError without a ref is an error event', () => {
      out.replyError(env, undefined, { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 500 });
      expect(out.list).toEqual([
        ['publish', 'gw:gw-7', '{"c":"c-42"}\n{"type":"error","data":{"code":"RATE_LIMITED","message":"slow down","retryAfterMs":500}}'],
      ]);
    });

    it('toConnection carries controls with or without a frame', () => {
      out.toConnection(env, { sub: [{ roomId: 'r1', after: 3 }] });
      out.toConnection(env, { sync: ['r1'] }, '{"type":"x"}');
      expect(out.list).toEqual([
        ['publish', 'gw:gw-7', '{"sub":[{"roomId":"r1","after":3}],"c":"c-42"}\n'],
        ['publish', 'gw:gw-7', '{"sync":["r1"],"c":"c-42"}\n{"type":"x"}'],
      ]);
    });
  });

  describe('other effects', () => {
    it('room events go out by sharded publish on the room channel, with their seq when they have one and the commit time', () => {
      const before = Date.now();
      out.toRoom('r9', '{"type":"message.created","data":{}}', 12);
      out.toRoom('r9', '{"type":"typing.updated","data":{}}');
      expect(out.list.map(([command, channel]) => [command, channel])).toEqual([
        ['spublish', `room:{${shardOf('r9', 8)}}:r9`],
        ['spublish', `room:{${shardOf('r9', 8)}}:r9`],
      ]);
      const [created, typing] = out.list.map(([, , payload]) => decodeRoomEvent(payload));
      expect(created).toEqual({ seq: 12, committedAt: expect.any(Number), frame: '{"type":"message.created","data":{}}' });
      expect(typing).toEqual({ seq: undefined, committedAt: expect.any(Number), frame: '{"type":"typing.updated","data":{}}' });
      expect(created.committedAt).toBeGreaterThanOrEqual(before);
      expect(created.committedAt).toBeLessThanOrEqual(Date.now());
    });

    it('a room event needs the shard count: it names the channel', () => {
      expect(() => new ChatEffects().toRoom('r1', 'E')).toThrow(/without the shard count/);
    });

    it('in a shard batch, replies and controls go on the shard’s channel to the gateway (in order with its rooms’ events)', () => {
      const batch = new ChatEffects({ shards: 8, batch: { shard: 3, eventsMaxLen: 10 } });
      batch.replyOk(env, 'r1');
      batch.toConnection(env, { caughtUp: { roomId: 'r1', upTo: 4 } });
      expect(batch.list).toEqual([
        ['spublish', 'gw:{3}:gw-7', '{"c":"c-42"}\n{"type":"reply","ref":"r1","ok":true,"data":{}}'],
        ['spublish', 'gw:{3}:gw-7', '{"caughtUp":{"roomId":"r1","upTo":4},"c":"c-42"}\n'],
      ]);
    });

    it('user deliveries go to the user channel without a connection id', () => {
      out.toUser('u5', { sub: [{ roomId: 'r1', after: 0 }] }, '{"type":"y"}');
      expect(out.list).toEqual([['publish', 'user:u5', '{"sub":[{"roomId":"r1","after":0}]}\n{"type":"y"}']]);
    });

    it('keeps the room-set cache in step', () => {
      out.userJoinedRoom('u5', 'r1');
      out.userLeftRoom('u5', 'r2');
      expect(out.list).toEqual([
        ['sadd', 'chat:user-rooms:{u5}', 'r1'],
        ['srem', 'chat:user-rooms:{u5}', 'r2'],
      ]);
    });

    it('keeps every effect in the order it was added', () => {
      out.replyOk(env, 'a');
      out.toRoom('r1', 'E1');
      out.replyError(env, 'b', { code: 'NOT_FOUND', message: 'gone' });
      out.userJoinedRoom('u1', 'r1');
      expect(out.list.map(([command]) => command)).toEqual(['publish', 'spublish', 'publish', 'sadd']);
    });
  });
});

describe('Effects', () => {
  let out: Effects;

  beforeEach(() => {
    out = new Effects();
  });

  it('collects raw effects and dead letters as data', () => {
    out.add(['sadd', 'k', 'v']);
    out.deadLetter(deadLetter('1-0'));
    expect(out.list).toEqual([['sadd', 'k', 'v']]);
    expect(out.size).toBe(1);
    expect(out.deadLetters).toEqual([deadLetter('1-0')]);
  });

  describe('mark and rollbackTo', () => {
    it('drops the effects and dead letters added after the mark, keeps those before', () => {
      out.add(['publish', 'a', '1']);
      out.deadLetter(deadLetter('1-0'));
      const mark = out.mark();
      out.add(['publish', 'b', '2']);
      out.add(['sadd', 'c', '3']);
      out.deadLetter(deadLetter('2-0'));
      out.rollbackTo(mark);
      expect(out.list).toEqual([['publish', 'a', '1']]);
      expect(out.deadLetters).toEqual([deadLetter('1-0')]);
    });

    it('rolling back with nothing added since the mark changes nothing', () => {
      out.add(['publish', 'a', '1']);
      out.rollbackTo(out.mark());
      expect(out.list).toEqual([['publish', 'a', '1']]);
    });

    it('what is added after a rollback is kept', () => {
      const mark = out.mark();
      out.add(['publish', 'a', '1']);
      out.rollbackTo(mark);
      out.add(['publish', 'b', '2']);
      expect(out.list).toEqual([['publish', 'b', '2']]);
    });
  });

  describe('onSettled and settle', () => {
    it('runs the callbacks in order when settled', () => {
      const calls: string[] = [];
      out.onSettled(() => calls.push('first'));
      out.onSettled(() => calls.push('second'));
      expect(calls).toEqual([]);
      out.settle();
      expect(calls).toEqual(['first', 'second']);
    });

    it('runs each callback once, however often it is settled', () => {
      const fn = jest.fn();
      out.onSettled(fn);
      out.settle();
      out.settle();
      expect(fn).toHaveBeenCalledTimes(1);
    });
  });
});

describe('internalErrorReply', () => {
  const fieldsWith = (f: string) => envelopeFields({ ...env, f });

  it('answers INTERNAL as a reply keeping the frame’s ref', () => {
    const out = internalErrorReply({ fields: fieldsWith(JSON.stringify({ type: 'room.create', ref: 'c-7', data: { name: 'x' } })) });
    expect(out).toBeInstanceOf(ChatEffects);
    expect(out.list).toEqual([
      [
        'publish',
        'gw:gw-7',
        '{"c":"c-42"}\n{"type":"reply","ref":"c-7","ok":false,"error":{"code":"INTERNAL","message":"this request could not be processed; it was set aside for an operator"}}',
      ],
    ]);
  });

  it.each([
    ['no ref', JSON.stringify({ type: 'room.list' })],
    ['a frame that is not JSON', '{"type":"room.create","ref":"c-7",'],
    ['a ref that is not a string', JSON.stringify({ type: 'room.list', ref: 7 })],
    ['a ref longer than any the gateway accepts', JSON.stringify({ type: 'room.list', ref: 'r'.repeat(65) })],
  ])('answers an INTERNAL error event when the frame has %s', (_name, f) => {
    const out = internalErrorReply({ fields: fieldsWith(f) });
    expect(out.list).toEqual([
      ['publish', 'gw:gw-7', expect.stringMatching(/^\{"c":"c-42"\}\n\{"type":"error","data":\{"code":"INTERNAL",/)],
    ]);
  });

  it('answers nothing when the entry is not a well-formed envelope', () => {
    const out = internalErrorReply({ fields: ['f', '{"type":"room.list","ref":"x"}', 'u', 'u1'] });
    expect(out.list).toEqual([]);
    expect(out.deadLetters).toEqual([]);
  });
});

describe('ChatEffects.chatEvent', () => {
  it('appends the event to its shard’s event stream, capped, with type, JSON data and time', () => {
    const out = new ChatEffects({ batch: { shard: 3, eventsMaxLen: 1000 } });
    const before = Date.now();
    out.chatEvent('member.left', { roomId: 'r1', userId: 'u1', reason: 'kicked' });
    const [effect] = out.list;
    expect(effect.slice(0, 11)).toEqual([
      'xadd', 'chat:events:{3}', 'MAXLEN', '~', '1000', '*',
      'type', 'member.left', 'data', '{"roomId":"r1","userId":"u1","reason":"kicked"}', 't',
    ]);
    expect(Number(effect[11])).toBeGreaterThanOrEqual(before);
    expect(effect).toHaveLength(12);
  });

  it('is rolled back with the op that produced it', () => {
    const out = new ChatEffects({ batch: { shard: 0, eventsMaxLen: 10 } });
    const mark = out.mark();
    out.chatEvent('member.joined', { roomId: 'r1', userId: 'u1' });
    out.rollbackTo(mark);
    expect(out.list).toEqual([]);
  });

  it('refuses an event outside a shard batch (nothing there changes durable state)', () => {
    expect(() => new ChatEffects().chatEvent('member.joined', { roomId: 'r1', userId: 'u1' })).toThrow(/outside a shard batch/);
  });
});
