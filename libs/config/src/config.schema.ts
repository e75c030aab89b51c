import { clusterConnectionString } from '@chat/redis';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { jwtSecretProblem } from './jwt-secret';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();

/** `TRUST_PROXY`: Express's "trust proxy" (true, a hop count, or addresses/subnets, comma separated). */
const trustProxy = z
  .string()
  .regex(/^[A-Za-z0-9.:/, _-]+$/, 'true, false, a hop count, or addresses/subnets separated by commas')
  .transform((v): boolean | number | string[] => {
    if (['true', 'yes'].includes(v)) return true;
    if (['false', 'no'].includes(v)) return false;
    if (/^\d+$/.test(v)) return Number(v);
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  });

/** `CORS_ORIGINS`: origins allowed to call the api from a browser, comma separated. */
const origins = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port], without path')));

/** Every environment variable the apps read, with defaults that run on a laptop. */
export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** json: one JSON object per line; pretty: for people; auto: pretty on a terminal, else json. */
    LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('auto'),
    HOST: z.string().default('0.0.0.0'),
    /** How long an app waits at start for Redis and PostgreSQL before it exits naming the variable. */
    STARTUP_TIMEOUT_MS: positive.default(30_000),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    /**
     * A Redis Cluster instead of one server: `host:port` seeds, comma-separated (a few nodes
     * suffice). Credentials and TLS (`rediss:`) still come from REDIS_URL.
     */
    REDIS_CLUSTER_NODES: z
      .string()
      .regex(/^\s*[^\s,:]+:\d+\s*(,\s*[^\s,:]+:\d+\s*)*$/, 'a comma-separated list of host:port')
      .optional(),
    DATABASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().default('./data'),
    API_PORT: port.default(3000),
    GATEWAY_PORT: port.default(8080),
    MESSAGES_PORT: port.default(3001),
    PRESENCE_PORT: port.default(3002),
    SEARCH_PORT: port.default(3003),
    /** Events a dead search instance left pending this long are taken over by another. */
    SEARCH_CLAIM_IDLE_MS: positive.min(100).default(30_000),
    PUSH_PORT: port.default(3004),
    /** The gRPC door's gRPC listener (HTTP/2). */
    GRPC_PORT: port.default(50051),
    /** The gRPC door's HTTP side: /healthz, /readyz, /metrics. */
    GRPC_HTTP_PORT: port.default(3006),
    /** Events a dead push instance left pending this long are taken over by another. */
    PUSH_CLAIM_IDLE_MS: positive.min(100).default(30_000),
    /** Push jobs one push instance sends at once. */
    PUSH_CONCURRENCY: positive.max(1000).default(32),
    /** Tries per notification (the first included) on 429, 5xx and network errors. */
    PUSH_ATTEMPTS: positive.max(50).default(8),
    /** First retry delay; doubled each try (full jitter), or the endpoint's Retry-After when longer. */
    PUSH_BACKOFF_MS: positive.default(2000),
    /** A job whose push instance died is retried after this long (BullMQ lock and stalled check). */
    PUSH_JOB_LOCK_MS: positive.min(1000).default(30_000),
    /** How long a push service keeps an undelivered notification (Web Push TTL header). */
    PUSH_TTL_SECONDS: z.coerce.number().int().min(0).max(28 * 24 * 3600).default(24 * 3600),
    PUSH_TIMEOUT_MS: positive.default(10_000),
    PUSH_MAX_SUBSCRIPTIONS_PER_USER: positive.max(1000).default(10),
    /**
     * Accept http:// endpoints and endpoints on private, loopback and link-local addresses
     * (tests, self-hosted push servers). Off: https only, public addresses only.
     */
    PUSH_ALLOW_PRIVATE_ENDPOINTS: bool.default(false),
    /** The VAPID key pair (RFC 8292), base64url: both or neither; unset: generated once under DATA_DIR. */
    VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]{87}$/, 'a base64url uncompressed P-256 point (65 bytes)').optional(),
    VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url P-256 private key (32 bytes)').optional(),
    /** Who runs this server, for push services to contact (RFC 8292 `sub`): mailto: or https: */
    VAPID_SUBJECT: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'mailto:address or https://url').default('mailto:admin@localhost'),
    WEBHOOKS_PORT: port.default(3005),
    /** Events a dead webhooks instance left pending this long are taken over by another. */
    WEBHOOK_CLAIM_IDLE_MS: positive.min(100).default(30_000),
    /** Webhook deliveries one webhooks instance runs at once. */
    WEBHOOK_CONCURRENCY: positive.max(1000).default(16),
    /** Tries per event and webhook (the first included) on 429, 5xx and network errors. */
    WEBHOOK_ATTEMPTS: positive.max(50).default(8),
    /** First retry delay; doubled each try (full jitter), or the receiver's Retry-After when longer. */
    WEBHOOK_BACKOFF_MS: positive.default(2000),
    /** A delivery whose webhooks instance died is retried after this long (BullMQ lock and stalled check). */
    WEBHOOK_JOB_LOCK_MS: positive.min(1000).default(30_000),
    WEBHOOK_TIMEOUT_MS: positive.default(10_000),
    /** A webhook is disabled after this many failed delivery attempts in a row (its owner re-enables it). */
    WEBHOOK_DISABLE_AFTER: positive.max(1000).default(10),
    /** Delivery attempts kept per webhook in its log (older ones are deleted). */
    WEBHOOK_LOG_SIZE: positive.max(10_000).default(100),
    WEBHOOK_MAX_PER_ROOM: positive.max(100).default(10),
    /** Accept http:// webhook URLs and private, loopback and link-local addresses (tests, receivers inside the network). */
    WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: bool.default(false),
    /** How long a bot token is valid (revoked or rotated at any time by the bot's owner). */
    BOT_TOKEN_TTL_SECONDS: positive.default(365 * 24 * 3600),
    BOTS_PER_USER: positive.max(1000).default(10),
    PUBLIC_WS_URL: z.string().url().optional(),
    WEB_DIR: z.string().optional(),
    // Unset outside production: a generated secret kept under DATA_DIR (see loadConfig).
    JWT_SECRET: z
      .string()
      .superRefine((secret, ctx) => {
        const problem = jwtSecretProblem(secret);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    JWT_TTL_SECONDS: positive.default(7 * 24 * 3600),
    GUEST_LOGIN: bool.default(true),
    SHARDS: positive.max(1024).default(16),
    GATEWAY_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    /** Let several gateway processes listen on one port (SO_REUSEPORT); off: a taken port stops the start. */
    GATEWAY_SHARE_PORT: bool.default(false),
    HEARTBEAT_MS: positive.min(4000).default(25_000),
    /**
     * On SIGTERM a gateway turns not-ready at once, then closes its sockets (1001) in small
     * batches spread over this window, so clients reconnect elsewhere gradually. Below the
     * 20 s a shutdown may take.
     */
    GATEWAY_DRAIN_MS: z.coerce.number().int().min(0).max(15_000).default(10_000),
    AUTH_TIMEOUT_MS: positive.default(10_000),
    REQUEST_TIMEOUT_MS: positive.default(10_000),
    MAX_BACKPRESSURE_BYTES: positive.default(1024 * 1024),
    MAX_PENDING_FRAMES: positive.default(64),
    /**
     * Events a door session (gRPC stream, GraphQL subscription) may have waiting for its reader,
     * besides MAX_BACKPRESSURE_BYTES of them; past either it is cut off (it resumes on reconnect).
     */
    DOOR_MAX_QUEUED_FRAMES: positive.default(10_000),
    /** A door's pooled session for one-shot calls (gRPC unary) is closed after this long unused. */
    DOOR_SESSION_IDLE_MS: positive.min(1000).default(60_000),
    BATCH_SIZE: positive.max(10_000).default(256),
    LEASE_TTL_MS: positive.min(500).default(5000),
    RESUME_LIMIT: positive.default(500),
    /**
     * A write batch held back this long by the database being away has its senders answered
     * UNAVAILABLE (retry with the same clientMsgId) while it keeps retrying.
     */
    DB_UNAVAILABLE_REPLY_MS: positive.min(100).default(3000),
    ROOM_MAX_MEMBERS: positive.default(10_000),
    /** Entries each `chat:events:{shard}` stream keeps (about: trimmed with MAXLEN ~). */
    EVENTS_MAXLEN: positive.default(1_000_000),
    OFFLINE_GRACE_MS: positive.default(10_000),
    TYPING_TTL_MS: positive.default(5000),
    GATEWAY_HEARTBEAT_INTERVAL_MS: positive.default(5000),
    GATEWAY_DEAD_AFTER_MS: positive.default(20_000),
    RATE_CONN_FRAMES_PER_SEC: positive.default(30),
    RATE_CONN_FRAMES_BURST: positive.default(60),
    RATE_CONN_SENDS_PER_SEC: positive.default(10),
    RATE_CONN_SENDS_BURST: positive.default(30),
    RATE_USER_WINDOW_MS: positive.min(100).default(60_000),
    RATE_USER_FRAMES: positive.default(1200),
    RATE_USER_SENDS: positive.default(300),
    /** The per-user window limits of bot accounts (same window, RATE_USER_WINDOW_MS). */
    RATE_BOT_FRAMES: positive.default(600),
    RATE_BOT_SENDS: positive.default(120),
    /** How often a gateway adds its local per-user counts to the shared ones (ms). */
    RATE_USER_SYNC_MS: positive.min(10).max(1000).default(100),
    /** Sockets one user may hold open on one gateway; one more is closed 4008. */
    MAX_SOCKETS_PER_USER: positive.default(32),
    // Auth throttles (api, shared by replicas in Redis): failed logins per account and per
    // client address in a window, guest and register attempts per address in a window.
    AUTH_LOGIN_FAILURES_PER_ACCOUNT: positive.default(10),
    AUTH_LOGIN_FAILURES_PER_ADDRESS: positive.default(30),
    AUTH_LOGIN_WINDOW_MS: positive.min(1000).default(15 * 60_000),
    AUTH_SIGNUPS_PER_ADDRESS: positive.default(20),
    AUTH_SIGNUP_WINDOW_MS: positive.min(1000).default(10 * 60_000),
    CORS_ORIGINS: origins.optional(),
    /** The operators' token for /admin and /api/admin (Bearer); unset: the admin API and page do not exist (404). */
    ADMIN_TOKEN: z.string().min(24, 'at least 24 characters (e.g. openssl rand -base64 32)').optional(),
    TRUST_PROXY: trustProxy.optional(),
    /** Largest upload accepted (`POST /api/uploads`); larger ones are refused 413 while they stream in. */
    UPLOAD_MAX_BYTES: positive.max(5 * 1024 ** 3).default(10 * 1024 * 1024),
    /** Uploads no message took within this long are deleted (rows and bytes). */
    UPLOAD_ORPHAN_TTL_MS: positive.min(1000).default(24 * 3600 * 1000),
    /** How often each api replica sweeps orphaned uploads and the files of deleted messages. */
    UPLOAD_SWEEP_INTERVAL_MS: positive.min(100).default(10 * 60_000),
    /** How long a signed attachment link (`GET /api/attachments/:id/link`) works. */
    ATTACHMENT_LINK_TTL_MS: positive.min(1000).max(24 * 3600 * 1000).default(5 * 60_000),
    /** Where uploads' bytes live: files under DATA_DIR, or an S3-compatible bucket. */
    STORAGE: z.enum(['local', 's3']).default('local'),
    /** S3-compatible endpoint (MinIO: http://minio:9000); unset: AWS S3 of S3_REGION. */
    S3_ENDPOINT: z.string().url().optional(),
    S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 of a-z 0-9 . -)').optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    /** Both or neither; unset: the AWS SDK's default credentials (environment, instance or pod role). */
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    S3_FORCE_PATH_STYLE: bool.default(false),
    /** The GraphQL door at the api's /graphql (HTTP and graphql-transport-ws); off: /graphql is a 404. */
    GRAPHQL_ENABLED: bool.default(true),
    /** Schema introspection (`__schema`, `__type`); unset: on, except with NODE_ENV=production. */
    GRAPHQL_INTROSPECTION: bool.optional(),
    /** Deepest selection nesting a GraphQL operation may have (introspection fields aside). */
    GRAPHQL_MAX_DEPTH: positive.max(100).default(8),
    /** Highest cost an operation may have: 1 per field, times the list size below list fields. */
    GRAPHQL_MAX_COST: positive.default(5000),
    /** How long a persisted query (by its sha256) stays known after it was last registered. */
    GRAPHQL_PERSISTED_QUERY_TTL_SECONDS: positive.default(7 * 24 * 3600),
  })
  .refine((env) => env.STORAGE !== 's3' || env.S3_BUCKET !== undefined, {
    message: 'STORAGE=s3 needs S3_BUCKET',
    path: ['S3_BUCKET'],
  })
  .refine((env) => (env.S3_ACCESS_KEY_ID === undefined) === (env.S3_SECRET_ACCESS_KEY === undefined), {
    message: 'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither',
    path: ['S3_SECRET_ACCESS_KEY'],
  })
  .refine((env) => (env.VAPID_PUBLIC_KEY === undefined) === (env.VAPID_PRIVATE_KEY === undefined), {
    message: 'set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither (npm run vapid-keys prints a pair)',
    path: ['VAPID_PRIVATE_KEY'],
  })
  .refine((env) => env.NODE_ENV !== 'production' || env.JWT_SECRET !== undefined, {
    message: 'JWT_SECRET must be set in production (e.g. openssl rand -base64 48)',
    path: ['JWT_SECRET'],
    // Zod skips refinements once another variable failed; run it anyway (it only reads two
    // strings) so one error lists every bad variable.
    when: (payload) =>
      typeof payload.value === 'object' &&
      payload.value !== null &&
      // A JWT_SECRET that is set but bad already has its own issue.
      (payload.value as { JWT_SECRET?: unknown }).JWT_SECRET === undefined,
  });

export type Env = z.infer<typeof EnvSchema>;

export interface ConfigSources {
  /** The JWT secret when JWT_SECRET is unset (never in production): given DATA_DIR. */
  devSecret: (dataDir: string) => string;
}

/** The parsed configuration, grouped by concern. */
export function toConfig(env: Env, sources: ConfigSources) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    host: env.HOST,
    startupTimeoutMs: env.STARTUP_TIMEOUT_MS,
    /** One connection string for both: see libs/redis RedisTarget. */
    redis: { url: env.REDIS_CLUSTER_NODES ? clusterConnectionString(env.REDIS_URL, env.REDIS_CLUSTER_NODES) : env.REDIS_URL },
    database: { url: env.DATABASE_URL, dataDir: env.DATA_DIR },
    auth: {
      jwtSecret: env.JWT_SECRET ?? sources.devSecret(env.DATA_DIR),
      ttlSeconds: env.JWT_TTL_SECONDS,
      guestLogin: env.GUEST_LOGIN,
      throttle: {
        login: {
          windowMs: env.AUTH_LOGIN_WINDOW_MS,
          perAccount: env.AUTH_LOGIN_FAILURES_PER_ACCOUNT,
          perAddress: env.AUTH_LOGIN_FAILURES_PER_ADDRESS,
        },
        signup: { windowMs: env.AUTH_SIGNUP_WINDOW_MS, perAddress: env.AUTH_SIGNUPS_PER_ADDRESS },
      },
    },
    http: { corsOrigins: env.CORS_ORIGINS ?? [], trustProxy: env.TRUST_PROXY ?? false },
    admin: { token: env.ADMIN_TOKEN },
    api: { port: env.API_PORT, publicWsUrl: env.PUBLIC_WS_URL, webDir: env.WEB_DIR },
    gateway: {
      port: env.GATEWAY_PORT,
      id: env.GATEWAY_ID ?? `gw-${hostname().slice(0, 24)}-${randomBytes(3).toString('hex')}`,
      heartbeatMs: env.HEARTBEAT_MS,
      authTimeoutMs: env.AUTH_TIMEOUT_MS,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      maxBackpressureBytes: env.MAX_BACKPRESSURE_BYTES,
      maxPendingFrames: env.MAX_PENDING_FRAMES,
      heartbeatIntervalMs: env.GATEWAY_HEARTBEAT_INTERVAL_MS,
      maxSocketsPerUser: env.MAX_SOCKETS_PER_USER,
      sharePort: env.GATEWAY_SHARE_PORT,
      drainMs: env.GATEWAY_DRAIN_MS,
    },
    rateLimits: {
      connection: {
        frames: { perSecond: env.RATE_CONN_FRAMES_PER_SEC, burst: env.RATE_CONN_FRAMES_BURST },
        sends: { perSecond: env.RATE_CONN_SENDS_PER_SEC, burst: env.RATE_CONN_SENDS_BURST },
      },
      user: { windowMs: env.RATE_USER_WINDOW_MS, frames: env.RATE_USER_FRAMES, sends: env.RATE_USER_SENDS, syncMs: env.RATE_USER_SYNC_MS },
      bot: { windowMs: env.RATE_USER_WINDOW_MS, frames: env.RATE_BOT_FRAMES, sends: env.RATE_BOT_SENDS, syncMs: env.RATE_USER_SYNC_MS },
    },
    presence: {
      port: env.PRESENCE_PORT,
      offlineGraceMs: env.OFFLINE_GRACE_MS,
      typingTtlMs: env.TYPING_TTL_MS,
      gatewayDeadAfterMs: env.GATEWAY_DEAD_AFTER_MS,
      leaseTtlMs: env.LEASE_TTL_MS,
    },
    search: { port: env.SEARCH_PORT, claimIdleMs: env.SEARCH_CLAIM_IDLE_MS },
    /** In-process gateway sessions of the doors that are not WebSockets (libs/door). */
    door: {
      maxQueuedBytes: env.MAX_BACKPRESSURE_BYTES,
      maxQueuedFrames: env.DOOR_MAX_QUEUED_FRAMES,
      sessionIdleMs: env.DOOR_SESSION_IDLE_MS,
    },
    grpc: { port: env.GRPC_PORT, httpPort: env.GRPC_HTTP_PORT },
    push: {
      port: env.PUSH_PORT,
      claimIdleMs: env.PUSH_CLAIM_IDLE_MS,
      concurrency: env.PUSH_CONCURRENCY,
      attempts: env.PUSH_ATTEMPTS,
      backoffMs: env.PUSH_BACKOFF_MS,
      jobLockMs: env.PUSH_JOB_LOCK_MS,
      ttlSeconds: env.PUSH_TTL_SECONDS,
      timeoutMs: env.PUSH_TIMEOUT_MS,
      maxSubscriptionsPerUser: env.PUSH_MAX_SUBSCRIPTIONS_PER_USER,
      allowPrivateEndpoints: env.PUSH_ALLOW_PRIVATE_ENDPOINTS,
      /** Configured keys, or undefined: libs/push generates a pair once under DATA_DIR. */
      vapidKeys:
        env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY ? { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY } : undefined,
      vapidSubject: env.VAPID_SUBJECT,
      dataDir: env.DATA_DIR,
    },
    webhooks: {
      port: env.WEBHOOKS_PORT,
      claimIdleMs: env.WEBHOOK_CLAIM_IDLE_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      attempts: env.WEBHOOK_ATTEMPTS,
      backoffMs: env.WEBHOOK_BACKOFF_MS,
      jobLockMs: env.WEBHOOK_JOB_LOCK_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      disableAfter: env.WEBHOOK_DISABLE_AFTER,
      logSize: env.WEBHOOK_LOG_SIZE,
      maxPerRoom: env.WEBHOOK_MAX_PER_ROOM,
      allowPrivateEndpoints: env.WEBHOOK_ALLOW_PRIVATE_ENDPOINTS,
    },
    bots: { tokenTtlSeconds: env.BOT_TOKEN_TTL_SECONDS, perUser: env.BOTS_PER_USER },
    messages: {
      port: env.MESSAGES_PORT,
      batchSize: env.BATCH_SIZE,
      leaseTtlMs: env.LEASE_TTL_MS,
      resumeLimit: env.RESUME_LIMIT,
      roomMaxMembers: env.ROOM_MAX_MEMBERS,
      unavailableReplyMs: env.DB_UNAVAILABLE_REPLY_MS,
    },
    attachments: {
      maxBytes: env.UPLOAD_MAX_BYTES,
      orphanTtlMs: env.UPLOAD_ORPHAN_TTL_MS,
      sweepIntervalMs: env.UPLOAD_SWEEP_INTERVAL_MS,
      linkTtlMs: env.ATTACHMENT_LINK_TTL_MS,
      dataDir: env.DATA_DIR,
      storage: env.STORAGE,
      s3: {
        endpoint: env.S3_ENDPOINT,
        bucket: env.S3_BUCKET ?? '',
        region: env.S3_REGION,
        credentials:
          env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
            ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
            : undefined,
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
      },
    },
    graphql: {
      enabled: env.GRAPHQL_ENABLED,
      introspection: env.GRAPHQL_INTROSPECTION ?? env.NODE_ENV !== 'production',
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxCost: env.GRAPHQL_MAX_COST,
      persistedQueryTtlSeconds: env.GRAPHQL_PERSISTED_QUERY_TTL_SECONDS,
    },
    /** The durable-change streams `chat:events:{shard}` (search, push read them in their own groups). */
    events: { maxLen: env.EVENTS_MAXLEN },
    shards: env.SHARDS,
  };
}

export type Config = ReturnType<typeof toConfig>;
