import Redis from 'ioredis';
import { Channels, roomOfChannel } from '@chat/redis';
import { BrokerEventHandler, BrokerSubscription } from './broker-subscription';

/**
 * Redis pub/sub on two dedicated subscriber connections: rooms on sharded channels
 * (SSUBSCRIBE `room:{id}`) on one, users and this gateway on plain ones (`user:{id}`,
 * `gw:{id}`) on the other. Never both on one connection: SUNSUBSCRIBE's reply counts only
 * sharded channels, and when it says 0 ioredis takes the connection out of subscriber mode —
 * a gateway whose last room channel went away would stop hearing its replies. (On Redis
 * Cluster the sharded side needs connections per node anyway.) ioredis resubscribes by itself
 * after a reconnect; `ready` after a `close` of either is reported as onResubscribed.
 */
export class RedisBrokerSubscription implements BrokerSubscription {
  constructor(
    private readonly subscriber: Redis,
    private readonly roomSubscriber: Redis,
    private readonly gatewayId: string,
  ) {}

  async listen(handler: BrokerEventHandler): Promise<void> {
    const gatewayChannel = Channels.gateway(this.gatewayId);
    const userPrefix = Channels.user('');
    this.roomSubscriber.on('smessage', (channel: string, message: string) => handler.onRoomEvent(roomOfChannel(channel), message));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === gatewayChannel) handler.onConnectionDelivery(message);
      else handler.onUserDelivery(channel.slice(userPrefix.length), message);
    });
    for (const connection of [this.subscriber, this.roomSubscriber]) {
      let lost = false;
      connection.on('close', () => (lost = true));
      connection.on('ready', () => {
        if (!lost) return;
        lost = false;
        handler.onResubscribed();
      });
    }
    await this.subscriber.subscribe(gatewayChannel);
  }

  async subscribeRoom(roomId: string): Promise<void> {
    await this.roomSubscriber.ssubscribe(Channels.room(roomId));
  }

  async unsubscribeRoom(roomId: string): Promise<void> {
    await this.roomSubscriber.sunsubscribe(Channels.room(roomId));
  }

  async subscribeUser(userId: string): Promise<void> {
    await this.subscriber.subscribe(Channels.user(userId));
  }

  async unsubscribeUser(userId: string): Promise<void> {
    await this.subscriber.unsubscribe(Channels.user(userId));
  }
}
