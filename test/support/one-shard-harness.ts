import Redis from 'ioredis';
import { Config, parseConfig } from '@chat/config';
import { RedisServerHandle, startRedisServer } from '@chat/devstack';
import { MessagesService } from '@chat/messaging';
import { createLogger } from '@chat/observability';
import { envelopeFields, User } from '@chat/protocol';
import { Channels, createRedis, Keys } from '@chat/redis';
import { Database, migrate, PgDatabase, RoomRepository, UserRepository } from '@chat/store';
import { PausingDatabase } from './pausing-database';
import { createTestDatabase, TestDatabase } from './postgres';

const logger = createLogger('one-shard-test', 'silent');

/**
 * Messages service instances run in-process over ONE shard, against a private redis-server and
 * a fresh PostgreSQL database holding the given users and one public room — driven the way a
 * gateway drives them (envelopes XADDed to `chat:in:{0}` from gateway `gw-test`) and watched on
 * `sub`. Instance A writes through a PausingDatabase (an owner that can be paused mid-batch),
 * instance B through a plain one.
 */
export class OneShardHarness {
  readonly services: MessagesService[] = [];

  private constructor(
    readonly server: RedisServerHandle,
    readonly pg: TestDatabase,
    readonly admin: Redis,
    readonly sub: Redis,
    readonly dbA: PausingDatabase,
    readonly dbB: Database,
  ) {}

  static async start(prefix: string, users: User[], room: { id: string; createdBy: string }): Promise<OneShardHarness> {
    const server = await startRedisServer();
    const pg = await createTestDatabase(prefix);
    const base = new PgDatabase(pg.url);
    await migrate(base);
    for (const u of users) await new UserRepository(base).create({ ...u, passwordHash: null });
    await new RoomRepository(base).create({ id: room.id, name: prefix, topic: '', kind: 'public', createdBy: room.createdBy });
    await base.close();
    return new OneShardHarness(
      server,
      pg,
      createRedis(server.url, `${prefix}-admin`),
      createRedis(server.url, `${prefix}-sub`),
      new PausingDatabase(new PgDatabase(pg.url)),
      new PgDatabase(pg.url),
    );
  }

  /** One shard, the given lease TTL (a long one: an owner whose clock says it still holds the lease). */
  config(leaseTtlMs: number, env: Record<string, string> = {}): Config {
    return parseConfig({ REDIS_URL: this.server.url, SHARDS: '1', LEASE_TTL_MS: String(leaseTtlMs), LOG_LEVEL: 'silent', NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), ...env });
  }

  /** Starts a messages service on instance A's or B's database. */
  async startService(db: Database, config: Config): Promise<MessagesService> {
    const service = new MessagesService(config, db, logger);
    this.services.push(service);
    await service.start();
    return service;
  }

  /** A client op of `user`, as a gateway would append it; replies go to `gw-test`. */
  op(user: User, ref: string, type: string, data: unknown): Promise<unknown> {
    const fields = envelopeFields({ f: JSON.stringify({ type, ref, data }), u: user.id, n: user.username, g: 'gw-test', c: `c-${user.username}`, t: Date.now() });
    return this.admin.xadd(Keys.inStream(0), '*', ...fields);
  }

  /** Replies for the test's connections: shard 0's channel to `gw-test`. */
  async listenForReplies(onReply: (payload: string) => void): Promise<void> {
    const channel = Channels.shardToGateway(0, 'gw-test');
    this.sub.on('smessage', (c: string, payload: string) => c === channel && onReply(payload));
    await this.sub.ssubscribe(channel);
  }

  /** Live events of a room (on shard 0). */
  async listenToRoom(roomId: string, onEvent: (payload: string) => void): Promise<void> {
    const channel = Channels.room(roomId, 0);
    this.sub.on('smessage', (c: string, payload: string) => c === channel && onEvent(payload));
    await this.sub.ssubscribe(channel);
  }

  async stop(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop()));
    await Promise.all([this.dbA.close(), this.dbB.close()]);
    this.admin.disconnect();
    this.sub.disconnect();
    await this.server.stop();
    await this.pg.drop();
  }
}
