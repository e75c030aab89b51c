import { BrokerEventHandler, BrokerSubscription } from './broker-subscription';

/**
 * A broker in one process, for tests: `publish…` reaches the handler only on channels this
 * gateway is subscribed to, as Redis would. Subscriptions confirm at once.
 */
export class MemoryBrokerSubscription implements BrokerSubscription {
  readonly rooms = new Set<string>();
  readonly users = new Set<string>();
  private handler?: BrokerEventHandler;

  async listen(handler: BrokerEventHandler): Promise<void> {
    this.handler = handler;
  }
  async subscribeRoom(roomId: string): Promise<void> {
    this.rooms.add(roomId);
  }
  async unsubscribeRoom(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
  }
  async subscribeUser(userId: string): Promise<void> {
    this.users.add(userId);
  }
  async unsubscribeUser(userId: string): Promise<void> {
    this.users.delete(userId);
  }

  publishRoom(roomId: string, payload: string): void {
    if (this.rooms.has(roomId)) this.handler?.onRoomEvent(roomId, payload);
  }
  publishToConnection(payload: string): void {
    this.handler?.onConnectionDelivery(payload);
  }
  publishToEveryone(frame: string): void {
    this.handler?.onBroadcast(frame);
  }
  publishToUser(userId: string, payload: string): void {
    if (this.users.has(userId)) this.handler?.onUserDelivery(userId, payload);
  }
  /** The link to the broker dropped and came back. */
  reconnect(): void {
    this.handler?.onResubscribed();
  }
}
