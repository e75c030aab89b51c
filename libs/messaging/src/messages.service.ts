import Redis from 'ioredis';
import { Config } from '@chat/config';
import { Logger, Readiness } from '@chat/observability';
import { InternalOp } from '@chat/protocol';
import { createRedis, Groups, Keys, shardOf, ShardLease } from '@chat/redis';
import { Database, MessageRepository, RoomRepository, UserRepository } from '@chat/store';
import { BatchProcessor, OpHandlers } from './batch-processor';
import { CatchupHandler } from './handlers/catchup.handler';
import { MessageHistoryHandler } from './handlers/message-history.handler';
import { MessageSendHandler } from './handlers/message-send.handler';
import { ResumeHandler } from './handlers/resume.handler';
import { DmOpenHandler } from './handlers/dm-open.handler';
import { MessageDeleteHandler } from './handlers/message-delete.handler';
import { MessageEditHandler } from './handlers/message-edit.handler';
import { ReactionHandler } from './handlers/reaction.handler';
import { ReadMarkHandler } from './handlers/read-mark.handler';
import { RoomBanHandler } from './handlers/room-ban.handler';
import { RoomCreateHandler } from './handlers/room-create.handler';
import { RoomInviteHandler } from './handlers/room-invite.handler';
import { RoomKickHandler } from './handlers/room-kick.handler';
import { RoomMuteHandler } from './handlers/room-mute.handler';
import { RoomSetRoleHandler } from './handlers/room-set-role.handler';
import { RoomUnbanHandler } from './handlers/room-unban.handler';
import { RoomJoinHandler } from './handlers/room-join.handler';
import { RoomLeaveHandler } from './handlers/room-leave.handler';
import { RoomListHandler } from './handlers/room-list.handler';
import { RoomMembersHandler } from './handlers/room-members.handler';
import { SessionSyncHandler } from './handlers/session-sync.handler';
import { MemberList } from './member-list';
import { MembershipCache } from './membership-cache';
import { MessagingMetrics } from './messaging.metrics';
import { RedisPresenceReader } from './presence-reader';
import { ShardOwnership, StreamWorkers, instanceId } from '@chat/streams';

/**
 * The messages service: owns shards, consumes their streams, applies ops to PostgreSQL and
 * publishes the results. This is the composition root; the Nest app only starts and stops it.
 */
export class MessagesService {
  readonly instanceId = instanceId('msg');
  private readonly control: Redis;
  private readonly ownership: ShardOwnership;
  private readonly workers: StreamWorkers;
  private stopping?: Promise<void>;

  constructor(
    config: Config,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    const metrics = MessagingMetrics.get();
    this.control = createRedis(config.redis.url, `${this.instanceId}:control`, {}, logger);
    this.workers = new StreamWorkers(config.redis.url, this.instanceId, { batchSize: config.messages.batchSize, blockMs: 1000 }, metrics, logger);

    const rooms = new RoomRepository(db);
    const messages = new MessageRepository(db);
    const users = new UserRepository(db);
    const cache = new MembershipCache(rooms);
    const memberList = new MemberList(rooms, new RedisPresenceReader(this.control));
    const limit = config.messages.resumeLimit;
    const maxMembers = config.messages.roomMaxMembers;
    const mute = new RoomMuteHandler(rooms, cache);
    const handlers: OpHandlers = {
      'room.create': new RoomCreateHandler(rooms),
      'room.list': new RoomListHandler(rooms),
      'room.join': new RoomJoinHandler(rooms, messages, cache, memberList, maxMembers),
      'room.leave': new RoomLeaveHandler(rooms, cache),
      'room.members': new RoomMembersHandler(cache, memberList),
      'room.invite': new RoomInviteHandler(rooms, users, cache, maxMembers),
      'room.kick': new RoomKickHandler(rooms, cache),
      'room.ban': new RoomBanHandler(rooms, users, cache),
      'room.unban': new RoomUnbanHandler(rooms, cache),
      'room.mute': mute,
      'room.unmute': mute,
      'room.set_role': new RoomSetRoleHandler(rooms, cache),
      'dm.open': new DmOpenHandler(rooms, users),
      'message.history': new MessageHistoryHandler(messages, cache),
      'message.edit': new MessageEditHandler(messages, cache),
      'message.delete': new MessageDeleteHandler(messages, cache),
      'reaction.add': new ReactionHandler(messages, cache, true),
      'reaction.remove': new ReactionHandler(messages, cache, false),
      'read.mark': new ReadMarkHandler(rooms, cache),
      resume: new ResumeHandler(rooms, messages, limit),
      [InternalOp.CATCHUP]: new CatchupHandler(messages, cache, limit),
      [InternalOp.SESSION_SYNC]: new SessionSyncHandler(rooms, users),
    };
    const processor = new BatchProcessor(handlers, new MessageSendHandler(messages, cache, metrics), metrics, logger);

    this.ownership = new ShardOwnership(
      this.control,
      new ShardLease(this.control, this.instanceId, config.messages.leaseTtlMs),
      { shards: config.shards, instanceId: this.instanceId, leaseTtlMs: config.messages.leaseTtlMs },
      (shard) => this.workers.start({ shard, stream: Keys.inStream(shard), group: Groups.messages, handler: processor }),
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
    await this.ownership.start();
    this.logger.info({ instance: this.instanceId, shards: this.ownership.shards }, 'messages service started');
  }

  /** Hands every shard back and closes Redis; calling it again waits for the same stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.ownership.stop();
      this.workers.closeAll();
      this.control.disconnect();
    })();
    return this.stopping;
  }
}
