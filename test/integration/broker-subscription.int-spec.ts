import Redis from 'ioredis';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { redisGatewayPorts } from '@chat/gateway-core';
import { Channels, createRedis, shardOf } from '@chat/redis';
import { waitFor } from '../support/wait-for';

/**
 * The gateway's broker port against a private redis-server. A gateway's deliveries
 * (`gw:{id}`, `user:{id}`) must keep arriving whatever happens to its room subscriptions —
 * above all when the last room channel is dropped (ioredis leaves subscriber mode when an
 * unsubscribe reply counts 0, and SUNSUBSCRIBE counts only sharded channels) — and in
 * publish order across channels (the join catch-up and departures depend on it).
 */
const SHARDS = 4;
const room = (roomId: string) => Channels.room(roomId, shardOf(roomId, SHARDS));

describe('RedisBrokerSubscription', () => {
  let server: RedisServerHandle;
  let publisher: Redis;
  const connections: Redis[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    publisher = createRedis(server.url, 'broker-test-pub');
  });
  afterAll(async () => {
    for (const c of [publisher, ...connections]) c?.disconnect();
    await server?.stop();
  });

  function ports() {
    const commands = createRedis(server.url, 'broker-test-commands');
    const subscriber = createRedis(server.url, 'broker-test-sub');
    connections.push(commands, subscriber);
    return redisGatewayPorts(commands, subscriber, 'gw-test', SHARDS);
  }

  it('keeps delivering to the gateway and its users after the last room channel is dropped', async () => {
    const { broker } = ports();
    const got: string[] = [];
    await broker.listen({
      onRoomEvent: (roomId, payload) => got.push(`room ${roomId} ${payload}`),
      onConnectionDelivery: (payload) => got.push(`gw ${payload}`),
      onUserDelivery: (userId, payload) => got.push(`user ${userId} ${payload}`),
      onBroadcast: (frame) => got.push(`everyone ${frame}`),
      onResubscribed: () => got.push('resubscribed'),
    });
    await broker.subscribeUser('u1');
    await broker.subscribeRoom('r1');
    await publisher.spublish(room('r1'), '1\n{}');
    await waitFor(() => got.length === 1, { what: 'the room event' });

    await broker.unsubscribeRoom('r1');
    await publisher.publish(Channels.gateway('gw-test'), 'reply after the last room left');
    await publisher.publish(Channels.user('u1'), 'user event after the last room left');
    await publisher.publish(Channels.everyone(), 'a frame for everyone');
    await waitFor(() => got.length === 4, { what: 'the three deliveries' });
    expect(got).toEqual([
      'room r1 1\n{}',
      'gw reply after the last room left',
      'user u1 user event after the last room left',
      'everyone a frame for everyone',
    ]);

    // Order across channels holds (both on the room's shard): a room event published before a
    // delivery from the same shard reaches the gateway before it.
    got.length = 0;
    await broker.subscribeRoom('r3');
    await publisher.multi().spublish(room('r3'), '7\n{}').spublish(Channels.shardToGateway(shardOf('r3', SHARDS), 'gw-test'), 'caughtUp after 7').exec();
    await waitFor(() => got.length === 2, { what: 'the room event and the delivery' });
    expect(got).toEqual(['room r3 7\n{}', 'gw caughtUp after 7']);
    await broker.unsubscribeRoom('r3');

    // And rooms can come back afterwards.
    await broker.subscribeRoom('r2');
    await publisher.spublish(room('r2'), '\n{"x":1}');
    await waitFor(() => got.length === 3, { what: 'the second room event' });
    expect(got[2]).toBe('room r2 \n{"x":1}');
  });
});
