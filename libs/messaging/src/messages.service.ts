import Redis from 'ioredis';
import { Config } from '@chat/config';
import { Logger, Readiness } from '@chat/observability';
import { createRedis, Groups, Keys, shardOf, ShardLease } from '@chat/redis';
import { AttachmentRepository, Database, fencedTransaction, MessageRepository, RoomRepository, ShardFenceRepository, UserRepository } from '@chat/store';
import { ConsumedGroups, GroupReader, instanceId, ShardOwnership, StreamWorkers, watchStreamGroups } from '@chat/streams';
import { BatchProcessor } from './batch-processor';
import { CatchupHandler } from './handlers/catchup.handler';
import { DmOpenHandler } from './handlers/dm-open.handler';
import { MessageDeleteHandler } from './handlers/message-delete.handler';
import { MessageEditHandler } from './handlers/message-edit.handler';
import { MessageHistoryHandler } from './handlers/message-history.handler';
import { MessageSendHandler } from './handlers/message-send.handler';
import { NotifySetHandler } from './handlers/notify-set.handler';
import { ReactionHandler } from './handlers/reaction.handler';
import { ReadMarkHandler } from './handlers/read-mark.handler';
import { ResumeHandler } from './handlers/resume.handler';
import { RoomBanHandler } from './handlers/room-ban.handler';
import { RoomBansHandler } from './handlers/room-bans.handler';
import { RoomCreateHandler } from './handlers/room-create.handler';
import { RoomInviteHandler } from './handlers/room-invite.handler';
import { RoomJoinHandler } from './handlers/room-join.handler';
import { RoomKickHandler } from './handlers/room-kick.handler';
import { RoomLeaveHandler } from './handlers/room-leave.handler';
import { RoomListHandler } from './handlers/room-list.handler';
import { RoomMembersHandler } from './handlers/room-members.handler';
import { RoomMuteHandler } from './handlers/room-mute.handler';
import { RoomSetRoleHandler } from './handlers/room-set-role.handler';
import { RoomUnbanHandler } from './handlers/room-unban.handler';
import { SessionSyncHandler } from './handlers/session-sync.handler';
import { UserLookupHandler } from './handlers/user-lookup.handler';
import { MemberList } from './member-list';
import { DirectMembership } from './membership';
import { MembershipCache } from './membership-cache';
import { MessagingMetrics } from './messaging.metrics';
import { readDispatchTable, ReadHandlers, shardDispatchTable, WriteHandlers } from './op-table';
import { RedisPresenceReader } from '@chat/presence';

/**
 * The messages service: owns shards, consumes their streams, applies ops to PostgreSQL and
 * publishes the results; and answers reads from `chat:reads` alongside every other instance.
 * This is the composition root; the Nest app only starts and stops it.
 */
export class MessagesService {
  readonly instanceId = instanceId('msg');
  private readonly control: Redis;
  private readonly ownership: ShardOwnership;
  private readonly workers: StreamWorkers;
  private readonly reads: GroupReader;
  private stopping?: Promise<void>;
  private unwatch = () => {};

  private readonly shardCount: number;

  constructor(
    config: Config,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    const metrics = MessagingMetrics.get();
    this.shardCount = config.shards;
    this.control = createRedis(config.redis.url, `${this.instanceId}:control`, {}, logger);
    this.workers = new StreamWorkers(
      config.redis.url,
      this.instanceId,
      { batchSize: config.messages.batchSize, blockMs: 1000, unavailableReplyMs: config.messages.unavailableReplyMs },
      metrics,
      logger,
    );

    const rooms = new RoomRepository(db);
    const messages = new MessageRepository(db);
    const users = new UserRepository(db);
    const cache = new MembershipCache(rooms);
    const memberList = new MemberList(rooms, new RedisPresenceReader(this.control));
    const limit = config.messages.resumeLimit;
    const maxMembers = config.messages.roomMaxMembers;
    const mute = new RoomMuteHandler(rooms, cache);
    const writes: WriteHandlers = {
      'room.create': new RoomCreateHandler(rooms),
      'room.join': new RoomJoinHandler(rooms, messages, cache, memberList, maxMembers),
      'room.leave': new RoomLeaveHandler(rooms, cache),
      'room.invite': new RoomInviteHandler(rooms, users, cache, maxMembers),
      'room.kick': new RoomKickHandler(rooms, cache),
      'room.ban': new RoomBanHandler(rooms, users, cache),
      'room.unban': new RoomUnbanHandler(rooms, cache),
      'room.mute': mute,
      'room.unmute': mute,
      'room.set_role': new RoomSetRoleHandler(rooms, cache),
      'dm.open': new DmOpenHandler(rooms, users, cache),
      'message.edit': new MessageEditHandler(messages, cache),
      'message.delete': new MessageDeleteHandler(messages, cache),
      'reaction.add': new ReactionHandler(messages, cache, true),
      'reaction.remove': new ReactionHandler(messages, cache, false),
      'read.mark': new ReadMarkHandler(rooms, cache),
      'notify.set': new NotifySetHandler(rooms, cache),
    };
    // Reads check membership in PostgreSQL: whichever instance answers may not own the room's shard.
    const direct = new DirectMembership(rooms);
    const reads: ReadHandlers = {
      'room.list': new RoomListHandler(rooms),
      'room.members': new RoomMembersHandler(direct, memberList),
      'room.bans': new RoomBansHandler(direct, rooms),
      'message.history': new MessageHistoryHandler(messages, direct),
      resume: new ResumeHandler(rooms, messages, limit),
      'user.lookup': new UserLookupHandler(users),
    };
    const ordered = {
      '$catchup': new CatchupHandler(messages, cache, limit),
      '$session.sync': new SessionSyncHandler(rooms, users),
    };
    const runFenced = (fence: Parameters<typeof fencedTransaction>[1], fn: () => Promise<void>) => fencedTransaction(db, fence, fn);
    const shardProcessor = new BatchProcessor(
      shardDispatchTable(writes, reads, ordered),
      new MessageSendHandler(messages, cache, metrics, new AttachmentRepository(db)),
      runFenced,
      () => cache.clear(),
      metrics,
      logger,
      { shards: config.shards, eventsMaxLen: config.events.maxLen },
    );
    const readProcessor = new BatchProcessor(readDispatchTable(reads), undefined, runFenced, () => undefined, metrics, logger, { shards: config.shards, eventsMaxLen: config.events.maxLen });
    this.reads = new GroupReader(
      config.redis.url,
      this.instanceId,
      Keys.readsIn(),
      Groups.reads,
      readProcessor,
      { batchSize: 64, blockMs: 1000, claimIdleMs: 30_000, maxLen: 100_000 },
      logger,
    );

    const fences = new ShardFenceRepository(db);
    this.ownership = new ShardOwnership(
      this.control,
      new ShardLease(this.control, this.instanceId, config.messages.leaseTtlMs),
      fences,
      { shards: config.shards, instanceId: this.instanceId, leaseTtlMs: config.messages.leaseTtlMs },
      (fence, onFenced) =>
        this.workers.start({ fence, stream: Keys.inStream(fence.shard), group: Groups.messages, handler: shardProcessor, onFenced }),
      (shard) => cache.forget((roomId) => shardOf(roomId, config.shards) === shard),
      metrics,
      logger,
    );
  }

  get ownedShards(): number[] {
    return this.ownership.shards;
  }

  readiness(readiness: Readiness): Readiness {
    return readiness
      .add('redis', async () => (await this.control.ping()) === 'PONG')
      .add('database', async () => (await this.db.query('SELECT 1')).length === 1);
  }

  async start(): Promise<void> {
    // Every instance reports every shard's backlog (not only its own): one answer per scrape.
    this.unwatch = watchStreamGroups(this.control, ConsumedGroups.messages(this.shardCount));
    this.reads.start();
    await this.ownership.start();
    this.logger.info({ instance: this.instanceId, shards: this.ownership.shards }, 'messages service started');
  }

  /** Hands every shard back and closes Redis; calling it again waits for the same stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unwatch();
      await Promise.all([this.ownership.stop(), this.reads.stop()]);
      this.workers.closeAll();
      this.control.disconnect();
    })();
    return this.stopping;
  }
}
