import Redis from 'ioredis';
import { Channels, roomOfChannel } from '@chat/redis';
import { BrokerEventHandler, BrokerSubscription } from './broker-subscription';

/**
 * Redis pub/sub on a dedicated subscriber connection: rooms on sharded channels
 * (SSUBSCRIBE `room:{id}`), users and this gateway on plain ones (`user:{id}`, `gw:{id}`).
 * ioredis resubscribes by itself after a reconnect; `ready` after a `close` is reported as
 * onResubscribed.
 */
export class RedisBrokerSubscription implements BrokerSubscription {
  constructor(
    private readonly subscriber: Redis,
    private readonly gatewayId: string,
  ) {}

  async listen(handler: BrokerEventHandler): Promise<void> {
    const gatewayChannel = Channels.gateway(this.gatewayId);
    const userPrefix = Channels.user('');
    this.subscriber.on('smessage', (channel: string, message: string) => handler.onRoomEvent(roomOfChannel(channel), message));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === gatewayChannel) handler.onConnectionDelivery(message);
      else handler.onUserDelivery(channel.slice(userPrefix.length), message);
    });
    let lost = false;
    this.subscriber.on('close', () => (lost = true));
    this.subscriber.on('ready', () => {
      if (!lost) return;
      lost = false;
      handler.onResubscribed();
    });
    await this.subscriber.subscribe(gatewayChannel);
  }

  async subscribeRoom(roomId: string): Promise<void> {
    await this.subscriber.ssubscribe(Channels.room(roomId));
  }

  async unsubscribeRoom(roomId: string): Promise<void> {
    await this.subscriber.sunsubscribe(Channels.room(roomId));
  }

  async subscribeUser(userId: string): Promise<void> {
    await this.subscriber.subscribe(Channels.user(userId));
  }

  async unsubscribeUser(userId: string): Promise<void> {
    await this.subscriber.unsubscribe(Channels.user(userId));
  }
}
