import { ConnectionData, NO_ROOMS } from '@chat/gateway-core';
import { eventFrame, replyOk } from '@chat/protocol';
import { BUFFERED, DoorSocket, DoorSocketListener, DROPPED, SENT } from './door-socket';
import { DoorTopicHub } from './door-topic-hub';

function listener() {
  return { answers: [] as string[], queuedCalls: 0, ends: [] as [number, string][] };
}

describe('DoorSocket', () => {
  const data = (): ConnectionData => ({ id: 'c1', openedAt: 0, ready: true, closed: false, rooms: NO_ROOMS });
  let hub: DoorTopicHub;
  let heard: ReturnType<typeof listener>;
  let closes: number[];

  function socket(keepsEvents = true, budget = { maxBytes: 1000, maxFrames: 3 }) {
    heard = listener();
    const l: DoorSocketListener = {
      onAnswer: (f) => heard.answers.push(f),
      onQueued: () => heard.queuedCalls++,
      onEnd: (code, reason) => heard.ends.push([code, reason]),
    };
    return new DoorSocket(data(), hub, (_s, code) => closes.push(code), budget, l, keepsEvents);
  }

  beforeEach(() => {
    hub = new DoorTopicHub();
    closes = [];
  });

  const event = (n: number) => eventFrame('message.created', { seq: n });

  it('hands replies and hello to the session at once, never queued', () => {
    const s = socket();
    expect(s.send(replyOk('r1', { x: 1 }))).toBe(SENT);
    expect(s.send(eventFrame('hello', { userId: 'u' }))).toBe(SENT);
    expect(heard.answers).toHaveLength(2);
    expect(s.queued).toBe(0);
  });

  it('queues events without a consumer and hands them out oldest first', () => {
    const s = socket();
    expect(s.send(event(1))).toBe(BUFFERED);
    expect(s.send(event(2))).toBe(BUFFERED);
    expect(heard.queuedCalls).toBe(2);
    expect([s.take(), s.take(), s.take()]).toEqual([event(1), event(2), undefined]);
  });

  it('pushes to a consumer while it keeps up, queues while it is paused, and flushes on resume in order', () => {
    const s = socket();
    s.send(event(1));
    const got: string[] = [];
    let accept = true;
    s.pushTo((f) => (got.push(f), accept));
    expect(got).toEqual([event(1)]);
    accept = false;
    expect(s.send(event(2))).toBe(SENT); // taken, but the consumer says it is full
    expect(s.send(event(3))).toBe(BUFFERED);
    accept = true;
    s.resume();
    expect(s.send(event(4))).toBe(SENT);
    expect(got).toEqual([event(1), event(2), event(3), event(4)]);
  });

  it('cuts off a reader past its frame budget: 4009, the close handler runs once, the rest is dropped', () => {
    const s = socket();
    for (let i = 1; i <= 3; i++) expect(s.send(event(i))).toBe(BUFFERED);
    expect(s.send(event(4))).toBe(DROPPED);
    expect(closes).toEqual([4009]);
    expect(heard.ends).toEqual([[4009, 'reader too slow: reconnect and resume']]);
    expect(s.send(event(5))).toBe(DROPPED);
    expect(s.take()).toBeUndefined();
    s.end(1000);
    expect(closes).toEqual([4009]);
  });

  it('cuts off a reader past its byte budget', () => {
    const s = socket(true, { maxBytes: event(1).length * 2, maxFrames: 100 });
    expect(s.send(event(1))).toBe(BUFFERED);
    expect(s.send(event(2))).toBe(BUFFERED);
    expect(s.send(event(3))).toBe(DROPPED);
    expect(heard.ends[0][0]).toBe(4009);
  });

  it('drops events unseen for a session that does not keep them, but still answers', () => {
    const s = socket(false);
    for (let i = 1; i <= 10; i++) expect(s.send(event(i))).toBe(SENT);
    expect(s.queued).toBe(0);
    s.send(replyOk('r'));
    expect(heard.answers).toHaveLength(1);
    expect(heard.ends).toEqual([]);
  });

  it('gets room frames through the hub until it unsubscribes', () => {
    const s = socket();
    s.subscribe('r1');
    hub.publish('r1', event(1));
    hub.publish('r2', event(2));
    s.unsubscribe('r1');
    hub.publish('r1', event(3));
    expect(s.take()).toBe(event(1));
    expect(s.take()).toBeUndefined();
    expect(hub.topicCount).toBe(0);
  });

  it('is refused without the gateway hearing of it', () => {
    const s = socket();
    s.refuse(1001, 'gateway shutting down');
    expect(closes).toEqual([]);
    expect(heard.ends).toEqual([[1001, 'gateway shutting down']]);
    expect(s.send(event(1))).toBe(DROPPED);
  });
});
