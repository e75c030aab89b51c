import { readGatewayConnections } from '@chat/presence';
import { ChatError, ErrorCode } from '@chat/protocol';
import { RoomActivityRepository } from '@chat/store';
import { ConsumedGroups, DeadLetterRecord, DeadLetters, readShardOwners, sampleStreamGroups } from '@chat/streams';
import type Redis from 'ioredis';

/** Rooms and dead letters an overview lists at most (per stream for dead letters). */
const ROOMS = 50;
const DEAD_LETTERS_PER_STREAM = 50;
/** A dead letter's original frame as shown to the operator: enough to recognise it. */
const FRAME_CHARS = 2000;

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * The operator's overview, from where each number lives: connections per gateway (as reported
 * to presence), rooms by recent activity (PostgreSQL), shard owners (leases), backlog per
 * consumer group and dead letters (Redis Streams); and replaying a dead letter (the same
 * DeadLetters.replay as `npm run dead-letters`).
 */
export class AdminOverview {
  private readonly letters: DeadLetters;

  constructor(
    private readonly redis: Redis,
    private readonly rooms: RoomActivityRepository,
    private readonly shards: number,
  ) {
    this.letters = new DeadLetters(redis);
  }

  async overview() {
    const [gateways, rooms, shards, streams, deadLetters] = await Promise.all([
      readGatewayConnections(this.redis),
      this.rooms.recentlyActive(ROOMS),
      readShardOwners(this.redis, this.shards),
      sampleStreamGroups(this.redis, ConsumedGroups.all(this.shards)),
      this.deadLetters(),
    ]);
    return {
      at: new Date().toISOString(),
      gateways,
      rooms,
      shards,
      groups: streams.groups,
      deadLetters,
    };
  }

  /** Puts a dead letter back on its stream; NOT_FOUND for a stream that has none or an unknown id. */
  async replay(stream: string, id: string): Promise<{ stream: string; id: string; replayedAs: string }> {
    if (!this.letters.streams(this.shards).includes(stream) || !ENTRY_ID.test(id)) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'no such dead letter');
    }
    try {
      return { stream, id, replayedAs: await this.letters.replay(stream, id) };
    } catch (err) {
      if (String((err as Error).message).startsWith('no dead letter')) throw new ChatError(ErrorCode.NOT_FOUND, 'no such dead letter');
      throw err;
    }
  }

  private async deadLetters() {
    const lists = await Promise.all(this.letters.streams(this.shards).map((stream) => this.letters.list(stream, DEAD_LETTERS_PER_STREAM)));
    return lists.flat().map(view);
  }
}

/** What the page shows of a dead letter: where it was, why it failed, who sent what. */
function view(record: DeadLetterRecord) {
  const field = (name: string) => {
    const i = record.fields.indexOf(name);
    return i >= 0 && i % 2 === 0 ? record.fields[i + 1] : undefined;
  };
  return {
    stream: record.stream,
    id: record.id,
    originalId: record.originalId,
    error: record.error,
    at: record.at,
    user: field('n') ?? field('u'),
    frame: (field('f') ?? '').slice(0, FRAME_CHARS),
  };
}
