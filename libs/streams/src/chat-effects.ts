import {
  ChatEventOf,
  ChatEventType,
  DeliveryHeader,
  encodeDelivery,
  encodeRoomEvent,
  Envelope,
  envelopeFromFields,
  ErrorBody,
  ErrorCode,
  failureFrame,
  MAX_REF_LENGTH,
  replyOkRaw,
} from '@chat/protocol';
import { Channels, Keys, shardOf } from '@chat/redis';
import { Effects } from './effects';

/**
 * Where a batch's effects go. `shards` (S) names room channels (`room:{shard}:id`); without
 * it no room event can be published (error replies need none). `batch`: the effects of one
 * shard's batch — its replies and controls go on the shard's gateway channels, in order with
 * its rooms' events, and its durable changes to its event stream (`chat:events:{shard}`,
 * trimmed to about `eventsMaxLen` entries).
 */
export interface EffectsScope {
  shards?: number;
  batch?: { shard: number; eventsMaxLen: number };
}

/**
 * The chat's effects of one batch, in the words of the protocol: replies, room events, user
 * controls, the gateways' room-set cache, and the durable-change events of `chat:events:{shard}`.
 * Each payload is serialized here once; the BatchCommitter writes them after COMMIT,
 * atomically with the XACK — so an event exists only for a committed change, and a redelivered
 * entry appends it again exactly when it publishes its live event again.
 */
export class ChatEffects extends Effects {
  /** `<connection> <ref>` of requests answered before their batch ran (UNAVAILABLE): no second reply. */
  private answeredRefs?: Set<string>;

  constructor(private readonly scope: EffectsScope = {}) {
    super();
  }

  /**
   * The request `ref` of connection `to` was answered already (UNAVAILABLE, while its batch
   * waited for the database): what it does still happens and is published, but replyOk and
   * replyError to it are dropped — the protocol gives one reply per ref.
   */
  alreadyAnswered(to: Envelope, ref: string): void {
    (this.answeredRefs ??= new Set()).add(`${to.c} ${ref}`);
  }

  private isAnswered(to: Envelope, ref: string | undefined): boolean {
    return ref !== undefined && this.answeredRefs !== undefined && this.answeredRefs.has(`${to.c} ${ref}`);
  }

  /**
   * A durable change (libs/protocol ChatEventData) for search, push and other consumers.
   * Entry fields: `type`, `data` (JSON), `t` (ms since epoch when the batch produced it).
   */
  chatEvent<T extends ChatEventType>(type: T, data: ChatEventOf<T>): void {
    const { batch } = this.scope;
    if (!batch) throw new Error(`chat event ${type} outside a shard batch: no event stream to append it to`);
    const { shard, eventsMaxLen } = batch;
    this.add(['xadd', Keys.eventStream(shard), 'MAXLEN', '~', String(eventsMaxLen), '*', 'type', type, 'data', JSON.stringify(data), 't', String(Date.now())]);
  }

  /** A successful reply to the sender (nothing when the op carried no `ref`). */
  replyOk(to: Envelope, ref: string | undefined, dataJson = '{}'): void {
    if (ref !== undefined && !this.isAnswered(to, ref)) this.toConnection(to, {}, replyOkRaw(ref, dataJson));
  }

  /** A failure: a reply when the op had a `ref`, an `error` event otherwise. */
  replyError(to: Envelope, ref: string | undefined, error: ErrorBody): void {
    if (this.isAnswered(to, ref)) return;
    this.toConnection(to, {}, failureFrame(ref, error));
  }

  /** A frame and/or control for one connection, through its gateway. */
  toConnection(to: Envelope, header: Omit<DeliveryHeader, 'c'>, frame = ''): void {
    const payload = encodeDelivery({ ...header, c: to.c }, frame);
    const { batch } = this.scope;
    if (batch) this.add(['spublish', Channels.shardToGateway(batch.shard, to.g), payload]);
    else this.add(['publish', Channels.gateway(to.g), payload]);
  }

  /**
   * A room event, serialized once, for every member connection on every gateway; `seq` for
   * messages. Stamped with now: handlers add room events once their transaction committed,
   * so gateways measure delivery latency from the commit.
   */
  toRoom(roomId: string, frame: string, seq?: number): void {
    const { shards } = this.scope;
    if (shards === undefined) throw new Error(`room event for ${roomId} without the shard count: no channel to publish it on`);
    this.add(['spublish', Channels.room(roomId, shardOf(roomId, shards)), encodeRoomEvent(frame, seq, Date.now())]);
  }

  /** A frame and/or control for every connection of a user. */
  toUser(userId: string, header: Omit<DeliveryHeader, 'c'>, frame = ''): void {
    this.add(['publish', Channels.user(userId), encodeDelivery(header, frame)]);
  }

  /** A frame for every connection on every gateway. */
  toEveryone(frame: string): void {
    this.add(['publish', Channels.everyone(), frame]);
  }

  /** Keeps the gateways' room-set cache in step. */
  userJoinedRoom(userId: string, roomId: string): void {
    this.add(['sadd', Keys.userRooms(userId), roomId]);
  }

  userLeftRoom(userId: string, roomId: string): void {
    this.add(['srem', Keys.userRooms(userId), roomId]);
  }
}

/**
 * What the sender of an entry that failed on its own is told: INTERNAL, as a reply when the
 * frame carried a `ref`. Nothing when the entry is not even a well-formed envelope.
 */
export function internalErrorReply(entry: { fields: string[] }): ChatEffects {
  const out = new ChatEffects();
  try {
    const env = envelopeFromFields(entry.fields);
    out.replyError(env, refOf(env.f), { code: ErrorCode.INTERNAL, message: 'this request could not be processed; it was set aside for an operator' });
  } catch {
    // Nobody to answer.
  }
  return out;
}

/**
 * What the senders of entries held back by a transient error are told: UNAVAILABLE with
 * `retryAfterMs`, as a reply to each request that carried a `ref` (nothing for the others:
 * they expect no answer). The request is not known to be applied: retrying it (a send with
 * the same clientMsgId) applies it once.
 */
export function unavailableReplies(entries: { fields: string[] }[], retryAfterMs: number): ChatEffects {
  const out = new ChatEffects();
  for (const entry of entries) {
    let env: Envelope;
    try {
      env = envelopeFromFields(entry.fields);
    } catch {
      continue;
    }
    const ref = refOf(env.f);
    if (ref === undefined) continue;
    out.replyError(env, ref, {
      code: ErrorCode.UNAVAILABLE,
      message: 'the database is unavailable: not known to be stored; retry with the same clientMsgId',
      retryAfterMs,
    });
  }
  return out;
}

function refOf(frame: string): string | undefined {
  try {
    const ref = (JSON.parse(frame) as { ref?: unknown }).ref;
    return typeof ref === 'string' && ref.length <= MAX_REF_LENGTH ? ref : undefined;
  } catch {
    return undefined;
  }
}
