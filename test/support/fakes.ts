import type { ClientSocket, ConnectionData } from '@chat/gateway-core';
import type { Logger } from '@chat/observability';
import { ChatError, decodeDelivery, decodeRoomEvent } from '@chat/protocol';
import { roomOfChannel } from '@chat/redis';
import type { Effects } from '@chat/streams';
import { Deferred, deferred } from './deferred';

/**
 * A uWS socket stand-in: keeps what the gateway sent, which topics it (un)subscribed and
 * how it was ended. `data` starts as a ready, open connection with no rooms.
 */
export class FakeSocket implements ClientSocket {
  readonly data: ConnectionData;
  readonly sent: string[] = [];
  readonly topics = new Set<string>();
  readonly subscribed: string[] = [];
  readonly unsubscribed: string[] = [];
  readonly ended: { code?: number; reason?: string }[] = [];

  constructor(id: string, data: Partial<ConnectionData> = {}) {
    this.data = { id, openedAt: 0, ready: true, closed: false, rooms: [], ...data };
  }

  getUserData(): ConnectionData {
    return this.data;
  }
  send(message: string): number {
    this.sent.push(message);
    return 1;
  }
  subscribe(topic: string): boolean {
    this.subscribed.push(topic);
    this.topics.add(topic);
    return true;
  }
  unsubscribe(topic: string): boolean {
    this.unsubscribed.push(topic);
    this.topics.delete(topic);
    return true;
  }
  /** uWS runs the close handler from end(): the gateway marks the socket closed there. */
  end(code?: number, reason?: string): void {
    this.ended.push({ code, reason });
    this.data.closed = true;
  }
  /** Sent frames, parsed. */
  get frames(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }
}

/** A Redis subscriber whose (S)SUBSCRIBEs stay pending until the test confirms or fails them. */
export class PendingSubscriber {
  readonly pending: { channel: string; d: Deferred<unknown> }[] = [];
  readonly subscribe = jest.fn((channel: string) => {
    const d = deferred<unknown>();
    this.pending.push({ channel, d });
    return d.promise;
  });
  readonly unsubscribe = jest.fn((_channel: string): Promise<unknown> => Promise.resolve(1));

  /** Confirms the `i`th SUBSCRIBE, by default the latest. */
  confirm(i = this.pending.length - 1): void {
    this.pending[i].d.resolve(1);
  }

  fail(i: number, err: unknown): void {
    this.pending[i].d.reject(err);
  }
}

/** A logger whose info/warn/error calls the test can inspect. */
export type FakeLogger = Logger & { info: jest.Mock; warn: jest.Mock; error: jest.Mock };

export function fakeLogger(): FakeLogger {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() } as unknown as FakeLogger;
}

/**
 * One delivery (to a gateway or user channel, with the delivery header) or room event of an
 * outbox. Named as tests think of them, whatever channel carries them: a delivery is a
 * `publish` to `gw:<id>` (also when a shard batch sent it on `gw:{shard}:<id>`), a room event
 * an `spublish` to `room:{<roomId>}` (whichever shard's channel).
 */
export interface Flushed {
  command: 'publish' | 'spublish';
  channel: string;
  header?: Record<string, unknown>;
  frame: unknown;
}

/** What a batch's effects would publish, in order (cache updates and other commands left out). */
const SHARD_TO_GATEWAY = /^gw:\{\d+\}:(.*)$/;

export async function flushed(out: Effects): Promise<Flushed[]> {
  const calls: Flushed[] = [];
  for (const [command, channel, payload] of out.list) {
    const fromShard = SHARD_TO_GATEWAY.exec(channel);
    if (command === 'publish' || fromShard) {
      const d = decodeDelivery(payload);
      calls.push({ command: 'publish', channel: fromShard ? `gw:${fromShard[1]}` : channel, header: d.header as Record<string, unknown>, frame: d.frame ? JSON.parse(d.frame) : undefined });
    } else if (command === 'spublish') {
      calls.push({ command, channel: `room:{${roomOfChannel(channel)}}`, frame: JSON.parse(decodeRoomEvent(payload).frame) });
    }
  }
  return calls;
}

/** The ChatError code a promise rejects with; undefined when it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof ChatError ? err.code : `not a ChatError: ${String(err)}`;
  }
}
