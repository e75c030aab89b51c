import {
  AccountsService,
  AuthThrottle,
  BearerGuard,
  BotsService,
  GUEST_PROOF_GRACE_SECONDS,
  SessionAuthenticator,
  TokenRevocations,
  WindowCounter,
} from '@chat/accounts';
import type { Config } from '@chat/config';
import { Logger, ObservabilityModule, Readiness } from '@chat/observability';
import { TokenService } from '@chat/auth';
import {
  AttachmentRepository,
  BotRepository,
  Database,
  MessageRepository,
  RoomActivityRepository,
  RoomRepository,
  UserRepository,
  WebhookRepository,
} from '@chat/store';
import { RoomWebhooks } from '@chat/webhooks';
import { AttachmentLinks, AttachmentsService, attachmentsMetrics, openAttachmentStorage, OrphanSweeper } from '@chat/attachments';
import { join } from 'node:path';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsLifecycle } from './attachments/attachments.lifecycle';
import { DynamicModule, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AdminController } from './admin/admin.controller';
import { AdminGuard } from './admin/admin.guard';
import { AdminOverview } from './admin/admin-overview.service';
import { ADMIN_TOKEN, API_CONFIG, API_LOGGER } from './api.tokens';
import { AuthController } from './auth/auth.controller';
import { ClientConfigController } from './client-config/client-config.controller';
import { databaseAnswers } from './database.readiness';
import { HttpErrorFilter } from './http/http-error.filter';
import { schemaValidationPipe } from './http/schema-validation.pipe';
import { RoomReads } from './rooms/room-reads.service';
import { RoomsController } from './rooms/rooms.controller';
import { SearchController } from './search/search.controller';
import { SearchQueries } from '@chat/search';
import { EndpointPolicy } from '@chat/outbound-http';
import { PushSubscriptions, vapidKeysOf } from '@chat/push';
import { PushController, VAPID_PUBLIC_KEY } from './push/push.controller';
import { NotifyLevels } from './rooms/notify-levels.service';
import { UsersController } from './users/users.controller';
import { BotsController } from './bots/bots.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import type { RunningDoorGateway } from '@chat/door';
import { DoorSessions, GraphqlDoor, PersistedQueries, RedisPersistedQueryStore } from '@chat/graphql';
import { MemberList } from '@chat/messaging';
import { RedisPresenceReader } from '@chat/presence';
import { GraphqlController } from './graphql/graphql.controller';
import { graphqlReadsOf } from './graphql/graphql-reads';
import { GRAPHQL_DOOR_SESSIONS, GRAPHQL_READS } from './graphql/graphql.tokens';

export interface ApiDeps {
  config: Config;
  db: Database;
  logger: Logger;
  /** Throttle counters and token revocations (owned by the caller, closed after the app). */
  redis: Redis;
  /** The GraphQL door's gateway (GRAPHQL_ENABLED) and the pooled sessions HTTP mutations go through. */
  graphqlDoor?: { gateway: RunningDoorGateway; sessions: DoorSessions };
}

/**
 * The api app's wiring. The database and logger are handed in (the entry point owns
 * them), so tests and the all-in-one process can run several apps on one database.
 */
@Module({})
export class ApiModule {
  static forRoot({ config, db, logger, redis, graphqlDoor }: ApiDeps): DynamicModule {
    const users = new UserRepository(db);
    const rooms = new RoomRepository(db);
    const messages = new MessageRepository(db);
    const tokens = new TokenService(config.auth.jwtSecret, config.auth.ttlSeconds);
    const roomReads = new RoomReads(rooms, messages, new MemberList(rooms, new RedisPresenceReader(redis)));
    const searchQueries = new SearchQueries(db);
    // Kept as long as a token issued before it could still be accepted (as a guest's proof, or a bot's token).
    const revocations = new TokenRevocations(
      redis,
      Math.max(config.auth.ttlSeconds + GUEST_PROOF_GRACE_SECONDS, config.bots.tokenTtlSeconds) * 1000,
    );
    const storage = openAttachmentStorage(config.attachments);
    const attachmentRows = new AttachmentRepository(db);
    const metrics = attachmentsMetrics();
    const sweeper = new OrphanSweeper(
      attachmentRows,
      storage,
      { orphanTtlMs: config.attachments.orphanTtlMs, intervalMs: config.attachments.sweepIntervalMs },
      metrics,
      logger,
    );
    const readiness = new Readiness()
      .add('database', databaseAnswers(db))
      .add('redis', async () => (await redis.ping()) === 'PONG')
      .add('storage', () => storage.ready());
    // The operators' API exists only with ADMIN_TOKEN set: without it, /api/admin is a plain 404.
    const adminToken = config.admin.token;
    const admin = adminToken
      ? {
          controllers: [AdminController],
          providers: [
            { provide: ADMIN_TOKEN, useValue: adminToken },
            { provide: AdminOverview, useValue: new AdminOverview(redis, new RoomActivityRepository(db), config.shards) },
            AdminGuard,
          ],
        }
      : { controllers: [], providers: [] };
    // /graphql exists only with GRAPHQL_ENABLED (default on); the WebSocket side is attached in api.app.ts.
    const graphql = graphqlDoor
      ? {
          controllers: [GraphqlController],
          providers: [
            {
              provide: GraphqlDoor,
              useValue: new GraphqlDoor(
                config.graphql,
                new PersistedQueries(new RedisPersistedQueryStore(redis, config.graphql.persistedQueryTtlSeconds)),
                (err) => logger.error({ err }, 'graphql operation failed'),
              ),
            },
            { provide: GRAPHQL_READS, useValue: graphqlReadsOf(roomReads, searchQueries) },
            { provide: GRAPHQL_DOOR_SESSIONS, useValue: graphqlDoor.sessions },
          ],
        }
      : { controllers: [], providers: [] };
    if (graphqlDoor) {
      const door = graphqlDoor.gateway.readiness(new Readiness());
      readiness.add('graphql', async () => (await door.report()).ready);
    }
    return {
      module: ApiModule,
      imports: [ObservabilityModule.forRoot(readiness)],
      controllers: [
        AuthController,
        RoomsController,
        SearchController,
        PushController,
        UsersController,
        AttachmentsController,
        ClientConfigController,
        BotsController,
        WebhooksController,
        ...admin.controllers,
        ...graphql.controllers,
      ],
      providers: [
        ...admin.providers,
        ...graphql.providers,
        { provide: API_CONFIG, useValue: config },
        { provide: API_LOGGER, useValue: logger },
        { provide: SessionAuthenticator, useValue: new SessionAuthenticator(tokens, revocations) },
        {
          provide: AccountsService,
          useValue: new AccountsService(users, tokens, revocations, { guestLogin: config.auth.guestLogin }),
        },
        { provide: AuthThrottle, useValue: new AuthThrottle(new WindowCounter(redis), config.auth.throttle) },
        { provide: RoomReads, useValue: roomReads },
        { provide: NotifyLevels, useValue: new NotifyLevels(rooms) },
        // Only the public half: the api signs nothing.
        { provide: VAPID_PUBLIC_KEY, useValue: { publicKey: vapidKeysOf(config.push).publicKey } },
        { provide: PushSubscriptions, useValue: new PushSubscriptions(db, config.push.maxSubscriptionsPerUser) },
        { provide: EndpointPolicy, useValue: new EndpointPolicy(config.push.allowPrivateEndpoints) },
        { provide: SearchQueries, useValue: searchQueries },
        {
          provide: BotsService,
          useValue: new BotsService(new BotRepository(db), tokens, revocations, config.bots),
        },
        {
          provide: RoomWebhooks,
          useValue: new RoomWebhooks(rooms, new WebhookRepository(db), new EndpointPolicy(config.webhooks.allowPrivateEndpoints), {
            maxPerRoom: config.webhooks.maxPerRoom,
            logSize: config.webhooks.logSize,
          }),
        },
        { provide: UserRepository, useValue: users },
        {
          provide: AttachmentsService,
          useValue: new AttachmentsService(
            attachmentRows,
            storage,
            // Spooled beside the data, not in /tmp: same volume as local storage, and sized for it.
            { maxBytes: config.attachments.maxBytes, spoolDir: join(config.attachments.dataDir, 'uploads-in-progress') },
            metrics,
            logger,
          ),
        },
        { provide: AttachmentLinks, useValue: new AttachmentLinks(config.auth.jwtSecret, config.attachments.linkTtlMs) },
        { provide: AttachmentsLifecycle, useValue: new AttachmentsLifecycle(sweeper, storage) },
        BearerGuard,
        { provide: APP_PIPE, useFactory: schemaValidationPipe },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
