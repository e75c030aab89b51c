/**
 * The gateway's side of the pub/sub broker: which channels it listens to, and the events
 * that come in on them. Inbound events go to one BrokerEventHandler the gateway registers at
 * start (Redis stays out of the core in both directions).
 *
 * Guarantees an implementation gives:
 * - A `subscribe…` promise resolves only once the broker confirmed: everything published on
 *   the channel afterwards reaches the handler. It rejects when the broker refused.
 * - Events of one channel reach the handler in publish order.
 * - After the link to the broker was lost and came back, `onResubscribed` is called once:
 *   whatever was published meanwhile may be lost, so the gateway must make clients resume.
 * - Subscribing twice to one channel is the caller's business: callers ref-count.
 */
export interface BrokerSubscription {
  /** Registers the handler and subscribes to this gateway's own channel (replies, controls). */
  listen(handler: BrokerEventHandler): Promise<void>;
  subscribeRoom(roomId: string): Promise<void>;
  unsubscribeRoom(roomId: string): Promise<void>;
  subscribeUser(userId: string): Promise<void>;
  unsubscribeUser(userId: string): Promise<void>;
}

export interface BrokerEventHandler {
  /** A room event: `<seq>\n<frame>` (libs/protocol encodeRoomEvent). */
  onRoomEvent(roomId: string, payload: string): void;
  /** A delivery for one connection of this gateway (libs/protocol encodeDelivery). */
  onConnectionDelivery(payload: string): void;
  /** A delivery for every connection of a user. */
  onUserDelivery(userId: string, payload: string): void;
  /** A frame for every authenticated connection of this gateway. */
  onBroadcast(frame: string): void;
  onResubscribed(): void;
}
