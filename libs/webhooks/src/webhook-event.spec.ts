import { WebhookCreateBody } from '@chat/protocol';
import { messageFixture } from '../../../test/support/message-fixture';
import { roomOfEvent, webhookEvent, webhookEventId } from './webhook-event';
import { webhookJobId } from './webhook-jobs';

describe('webhook events', () => {
  it('take their id from the stream entry: the same on redelivery, one job id per webhook', () => {
    expect(webhookEventId('chat:events:{3}', '1733212345678-0')).toBe('3-1733212345678-0');
    expect(() => webhookEventId('chat:in:3', '1-0')).toThrow();
    expect(webhookJobId('wh1', '3-1-0')).toBe('wh1/3-1-0');
    expect(webhookJobId('wh2', '3-1-0')).not.toBe(webhookJobId('wh1', '3-1-0'));
  });

  it('name their room whatever the type', () => {
    const m = messageFixture(1, { roomId: 'r1' });
    expect(roomOfEvent('message.created', { message: m })).toBe('r1');
    expect(roomOfEvent('message.updated', { message: m })).toBe('r1');
    expect(roomOfEvent('message.deleted', { roomId: 'r2', seq: 1, id: 'r2:1' })).toBe('r2');
    expect(roomOfEvent('member.joined', { roomId: 'r3', userId: 'u1' })).toBe('r3');
    expect(roomOfEvent('member.left', { roomId: 'r4', userId: 'u1', reason: 'kicked' })).toBe('r4');
    expect(roomOfEvent('reaction.added', { roomId: 'r5', seq: 1, messageId: 'r5:1', emoji: '👍', userId: 'u1' })).toBe('r5');
  });

  it('carry the id, type, room, data and commit time', () => {
    expect(webhookEvent('member.joined', { roomId: 'r3', userId: 'u1' }, '0-5-0', Date.UTC(2026, 11, 3))).toEqual({
      id: '0-5-0',
      type: 'member.joined',
      roomId: 'r3',
      data: { roomId: 'r3', userId: 'u1' },
      timestamp: '2026-12-03T00:00:00.000Z',
    });
  });
});

describe('the event filter of a new webhook', () => {
  it('takes known event names, once each; absent means every type', () => {
    expect(WebhookCreateBody.parse({ url: 'https://x.example/h', events: ['message.created', 'member.left', 'message.created'] }).events).toEqual([
      'message.created',
      'member.left',
    ]);
    expect(WebhookCreateBody.parse({ url: 'https://x.example/h' }).events).toBeUndefined();
  });

  it.each([[['message.sent']], [[]], [['message.created', 42]], ['message.created']])('refuses %j', (events) => {
    expect(WebhookCreateBody.safeParse({ url: 'https://x.example/h', events }).success).toBe(false);
  });
});
