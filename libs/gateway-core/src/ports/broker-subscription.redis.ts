import Redis from 'ioredis';
import { Channels, roomOfChannel } from '@chat/redis';
import { BrokerEventHandler, BrokerSubscription } from './broker-subscription';

/**
 * Redis pub/sub on one dedicated subscriber connection: rooms on sharded channels
 * (SSUBSCRIBE `room:{id}`), users, this gateway and everyone on plain ones (`user:{id}`,
 * `gw:{id}`, `chat:everyone`).
 * One connection, because order across channels matters: a room event published before a
 * `caughtUp` or `unsub` control must reach the gateway before it (join catch-up, departures).
 * The connection also holds a sharded subscription that is never dropped (`gatewayPin`):
 * SUNSUBSCRIBE's reply counts only sharded channels, and when it says 0 ioredis takes the
 * connection out of subscriber mode — a gateway whose last room channel went away would stop
 * hearing its replies. ioredis resubscribes by itself after a reconnect; `ready` after a
 * `close` is reported as onResubscribed.
 */
export class RedisBrokerSubscription implements BrokerSubscription {
  constructor(
    private readonly subscriber: Redis,
    private readonly gatewayId: string,
  ) {}

  async listen(handler: BrokerEventHandler): Promise<void> {
    const gatewayChannel = Channels.gateway(this.gatewayId);
    const everyone = Channels.everyone();
    const userPrefix = Channels.user('');
    const pin = Channels.gatewayPin(this.gatewayId);
    this.subscriber.on('smessage', (channel: string, message: string) => {
      if (channel !== pin) handler.onRoomEvent(roomOfChannel(channel), message);
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === gatewayChannel) handler.onConnectionDelivery(message);
      else if (channel === everyone) handler.onBroadcast(message);
      else handler.onUserDelivery(channel.slice(userPrefix.length), message);
    });
    let lost = false;
    this.subscriber.on('close', () => (lost = true));
    this.subscriber.on('ready', () => {
      if (!lost) return;
      lost = false;
      handler.onResubscribed();
    });
    await this.subscriber.subscribe(gatewayChannel, everyone);
    await this.subscriber.ssubscribe(pin);
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
