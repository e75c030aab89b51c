import Redis from 'ioredis';
import {
  DeliveryHeader,
  encodeDelivery,
  encodeRoomEvent,
  Envelope,
  ErrorBody,
  failureFrame,
  replyOkRaw,
} from '@chat/protocol';
import { Channels, Keys } from '@chat/redis';

type Command = (m: ReturnType<Redis['multi']>) => void;

/**
 * Everything one batch makes visible outside PostgreSQL: replies, room events, user
 * controls, and the Redis room-set cache. Collected while the batch runs, written after
 * COMMIT in ONE MULTI/EXEC together with the XACK of the batch: either the entries are
 * acknowledged and everything is published, or nothing is — so a redelivered entry knows
 * its events never went out and publishes them (no loss, no duplicate live events).
 */
export class Outbox {
  private readonly commands: Command[] = [];

  get size(): number {
    return this.commands.length;
  }

  /** A successful reply to the sender (nothing when the op carried no `ref`). */
  replyOk(to: Envelope, ref: string | undefined, dataJson = '{}'): void {
    if (ref !== undefined) this.toConnection(to, {}, replyOkRaw(ref, dataJson));
  }

  /** A failure: a reply when the op had a `ref`, an `error` event otherwise. */
  replyError(to: Envelope, ref: string | undefined, error: ErrorBody): void {
    this.toConnection(to, {}, failureFrame(ref, error));
  }

  /** A frame and/or control for one connection, through its gateway. */
  toConnection(to: Envelope, header: Omit<DeliveryHeader, 'c'>, frame = ''): void {
    const payload = encodeDelivery({ ...header, c: to.c }, frame);
    this.commands.push((m) => m.publish(Channels.gateway(to.g), payload));
  }

  /** A room event, serialized once, for every member connection on every gateway; `seq` for messages. */
  toRoom(roomId: string, frame: string, seq?: number): void {
    const payload = encodeRoomEvent(frame, seq);
    this.commands.push((m) => m.spublish(Channels.room(roomId), payload));
  }

  /** A frame and/or control for every connection of a user. */
  toUser(userId: string, header: Omit<DeliveryHeader, 'c'>, frame = ''): void {
    const payload = encodeDelivery(header, frame);
    this.commands.push((m) => m.publish(Channels.user(userId), payload));
  }

  /** Keeps the gateway's room-set cache in step, only where it has been loaded. */
  userJoinedRoom(userId: string, roomId: string): void {
    this.commands.push((m) => m.sadd(Keys.userRooms(userId), roomId));
  }

  userLeftRoom(userId: string, roomId: string): void {
    this.commands.push((m) => m.srem(Keys.userRooms(userId), roomId));
  }

  raw(command: Command): void {
    this.commands.push(command);
  }

  /** Publishes everything and acknowledges `ack.ids` atomically. */
  async flush(redis: Redis, ack?: { stream: string; group: string; ids: string[] }): Promise<void> {
    if (this.commands.length === 0 && !ack?.ids.length) return;
    const multi = redis.multi();
    for (const command of this.commands) command(multi);
    if (ack && ack.ids.length > 0) {
      multi.xack(ack.stream, ack.group, ...ack.ids);
      // Entries are processed in id order by the shard's only reader: all older ones are acked.
      multi.xtrim(ack.stream, 'MINID', '~', ack.ids[ack.ids.length - 1]);
    }
    const results = await multi.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('MULTI aborted');
  }
}
