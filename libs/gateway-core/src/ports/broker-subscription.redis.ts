import Redis from 'ioredis';
import { Channels, isCluster, roomOfChannel, shardOf } from '@chat/redis';
import { BrokerEventHandler, BrokerSubscription } from './broker-subscription';

/**
 * Redis pub/sub for one gateway. Rooms on sharded channels tagged with their shard
 * (SSUBSCRIBE `room:{shard}:id`), and beside them, for every shard, the sharded channel on
 * which that shard's batches send this gateway replies and controls (`gw:{shard}:id`); users,
 * everyone and replies from anything else on plain channels (`user:id`, `chat:everyone`,
 * `gw:id`).
 * Order across channels matters: a room event published before a `caughtUp` or `unsub`
 * control must reach the gateway before it (join catch-up, departures). Both come from the
 * same shard's commit on the same slot, so on one server (one subscriber connection) and on a
 * Redis Cluster (one sharded subscriber connection per node) they arrive in publish order.
 * The per-shard gateway channels are held for the gateway's whole life, which also keeps its
 * sharded subscriptions from counting down to 0: SUNSUBSCRIBE's reply counts only sharded
 * channels, and when it says 0 ioredis takes the connection out of subscriber mode.
 * ioredis resubscribes by itself after a reconnect (and after a failover, on a cluster); the
 * gateway is told (onResubscribed) because what was published meanwhile is lost to it.
 */
export class RedisBrokerSubscription implements BrokerSubscription {
  constructor(
    private readonly subscriber: Redis,
    private readonly gatewayId: string,
    private readonly shards: number,
  ) {}

  async listen(handler: BrokerEventHandler): Promise<void> {
    const gatewayChannel = Channels.gateway(this.gatewayId);
    const everyone = Channels.everyone();
    const userPrefix = Channels.user('');
    const fromShards = new Set(Array.from({ length: this.shards }, (_, shard) => Channels.shardToGateway(shard, this.gatewayId)));
    this.subscriber.on('smessage', (channel: string, message: string) => {
      if (fromShards.has(channel)) handler.onConnectionDelivery(message);
      else handler.onRoomEvent(roomOfChannel(channel), message);
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === gatewayChannel) handler.onConnectionDelivery(message);
      else if (channel === everyone) handler.onBroadcast(message);
      else handler.onUserDelivery(channel.slice(userPrefix.length), message);
    });
    this.onResubscribed(() => handler.onResubscribed());
    await this.subscriber.subscribe(gatewayChannel, everyone);
    // One SSUBSCRIBE per channel: on a cluster, each may live on another node.
    for (const channel of fromShards) await this.subscriber.ssubscribe(channel);
  }

  /** Calls `then` each time the subscriptions are back after a lost connection. */
  private onResubscribed(then: () => void): void {
    let lost = false;
    const [lostEvent, backEvent] = isCluster(this.subscriber) ? ['-subscriber', 'subscribersReady'] : ['close', 'ready'];
    this.subscriber.on(lostEvent, () => (lost = true));
    this.subscriber.on(backEvent, () => {
      if (!lost) return;
      lost = false;
      then();
    });
  }

  async subscribeRoom(roomId: string): Promise<void> {
    await this.subscriber.ssubscribe(Channels.room(roomId, shardOf(roomId, this.shards)));
  }

  async unsubscribeRoom(roomId: string): Promise<void> {
    await this.subscriber.sunsubscribe(Channels.room(roomId, shardOf(roomId, this.shards)));
  }

  async subscribeUser(userId: string): Promise<void> {
    await this.subscriber.subscribe(Channels.user(userId));
  }

  async unsubscribeUser(userId: string): Promise<void> {
    await this.subscriber.unsubscribe(Channels.user(userId));
  }
}
