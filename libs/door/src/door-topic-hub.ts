import { TopicHub } from '@chat/gateway-core';

/** What the hub hands frames to: a door socket. */
export interface TopicSubscriber {
  send(message: string): number;
}

/**
 * Room fan-out inside one door process, as uWS does it for WebSockets: topic → the sockets
 * subscribed to it, one publish hands the same pre-serialized frame to each of them.
 */
export class DoorTopicHub implements TopicHub {
  private readonly topics = new Map<string, Set<TopicSubscriber>>();

  subscribe(topic: string, socket: TopicSubscriber): boolean {
    let sockets = this.topics.get(topic);
    if (!sockets) this.topics.set(topic, (sockets = new Set()));
    const added = !sockets.has(socket);
    sockets.add(socket);
    return added;
  }

  unsubscribe(topic: string, socket: TopicSubscriber): boolean {
    const sockets = this.topics.get(topic);
    if (!sockets?.delete(socket)) return false;
    if (sockets.size === 0) this.topics.delete(topic);
    return true;
  }

  publish(topic: string, message: string): void {
    const sockets = this.topics.get(topic);
    if (!sockets) return;
    // A socket cut off during the loop leaves the set; Set iteration skips it safely.
    for (const socket of sockets) socket.send(message);
  }

  get topicCount(): number {
    return this.topics.size;
  }
}
