import { KNOWN_BAD_SECRETS } from './jwt-secret';
import { ConfigError, parseConfig } from './load-config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('parseConfig', () => {
  it('runs on defaults alone (PROTOCOL.md endpoints)', () => {
    const config = parseConfig({});
    expect(config.env).toBe('development');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.database.url).toBeUndefined();
    expect(config.api.port).toBe(3000);
    expect(config.gateway.port).toBe(8080);
    expect(config.auth.guestLogin).toBe(true);
    expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.shards).toBe(16);
    expect(config.gateway.heartbeatMs).toBeGreaterThanOrEqual(4000);
    expect(config.gateway.id).toMatch(/^gw-/);
    expect(config.messages.batchSize).toBeGreaterThan(0);
    expect(config.events.maxLen).toBe(1_000_000);
  });

  it('ignores unrelated variables and treats empty strings as unset', () => {
    const config = parseConfig({ PATH: '/bin', API_PORT: '', REDIS_URL: '', SOMETHING_ELSE: 'x' });
    expect(config.api.port).toBe(3000);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('reads and coerces what is set', () => {
    const config = parseConfig({
      NODE_ENV: 'test',
      API_PORT: '4000',
      GATEWAY_PORT: '9090',
      REDIS_URL: 'redis://10.0.0.5:6380',
      DATABASE_URL: 'postgres://chat@db:5432/chat',
      GUEST_LOGIN: 'false',
      SHARDS: '64',
      GATEWAY_ID: 'gw-7',
      HEARTBEAT_MS: '30000',
      EVENTS_MAXLEN: '5000',
    });
    expect(config).toMatchObject({
      env: 'test',
      api: { port: 4000 },
      gateway: { port: 9090, id: 'gw-7', heartbeatMs: 30000 },
      redis: { url: 'redis://10.0.0.5:6380' },
      database: { url: 'postgres://chat@db:5432/chat' },
      auth: { guestLogin: false },
      shards: 64,
      events: { maxLen: 5000 },
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads GUEST_LOGIN=%s as %p', (value, expected) => {
    expect(parseConfig({ GUEST_LOGIN: value }).auth.guestLogin).toBe(expected);
  });

  it('lists every bad variable in one error', () => {
    const bad = {
      API_PORT: 'eighty',
      GATEWAY_PORT: '70000',
      REDIS_URL: 'not a url',
      LOG_LEVEL: 'loud',
      SHARDS: '0',
      GUEST_LOGIN: 'maybe',
      HEARTBEAT_MS: '100',
      GATEWAY_ID: 'has spaces',
      NODE_ENV: 'staging',
    };
    const problems = problemsOf(bad);
    for (const name of Object.keys(bad)) expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    expect(problems).toHaveLength(Object.keys(bad).length);
    // The message names them all too, one per line.
    let message = '';
    try {
      parseConfig(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of Object.keys(bad)) expect(message).toContain(name);
  });

  describe('api security settings', () => {
    it('has defaults that throttle auth and allow no other origin', () => {
      const config = parseConfig({});
      expect(config.auth.throttle).toEqual({
        login: { windowMs: 15 * 60_000, perAccount: 10, perAddress: 30 },
        signup: { windowMs: 10 * 60_000, perAddress: 20 },
      });
      expect(config.http).toEqual({ corsOrigins: [], trustProxy: false });
    });

    it('reads CORS_ORIGINS as a list of origins', () => {
      expect(parseConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173 ,' }).http.corsOrigins).toEqual([
        'https://a.example',
        'http://localhost:5173',
      ]);
      expect(problemsOf({ CORS_ORIGINS: 'https://a.example/path' })[0]).toMatch(/^CORS_ORIGINS/);
      expect(problemsOf({ CORS_ORIGINS: '*' })[0]).toMatch(/^CORS_ORIGINS/);
    });

    it.each([
      ['true', true],
      ['false', false],
      ['1', 1],
      ['2', 2],
      ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
    ])('reads TRUST_PROXY=%p as %p', (value, expected) => {
      expect(parseConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
    });

    it('reads the auth limits', () => {
      const config = parseConfig({
        AUTH_LOGIN_FAILURES_PER_ACCOUNT: '3',
        AUTH_LOGIN_FAILURES_PER_ADDRESS: '4',
        AUTH_LOGIN_WINDOW_MS: '60000',
        AUTH_SIGNUPS_PER_ADDRESS: '5',
        AUTH_SIGNUP_WINDOW_MS: '30000',
      });
      expect(config.auth.throttle).toEqual({
        login: { windowMs: 60000, perAccount: 3, perAddress: 4 },
        signup: { windowMs: 30000, perAddress: 5 },
      });
      expect(problemsOf({ AUTH_SIGNUPS_PER_ADDRESS: '0' })[0]).toMatch(/^AUTH_SIGNUPS_PER_ADDRESS/);
    });
  });

  describe('attachments', () => {
    it('default to 10 MiB uploads on local disk under DATA_DIR, orphans kept a day', () => {
      const { attachments } = parseConfig({ DATA_DIR: '/var/chat' });
      expect(attachments).toMatchObject({
        maxBytes: 10 * 1024 * 1024,
        orphanTtlMs: 24 * 3600 * 1000,
        linkTtlMs: 5 * 60_000,
        storage: 'local',
        dataDir: '/var/chat',
      });
    });

    it('read the S3 settings', () => {
      const { attachments } = parseConfig({
        STORAGE: 's3',
        S3_ENDPOINT: 'http://minio:9000',
        S3_BUCKET: 'chat-files',
        S3_ACCESS_KEY_ID: 'id',
        S3_SECRET_ACCESS_KEY: 'secret',
        S3_FORCE_PATH_STYLE: 'true',
      });
      expect(attachments.storage).toBe('s3');
      expect(attachments.s3).toEqual({
        endpoint: 'http://minio:9000',
        bucket: 'chat-files',
        region: 'us-east-1',
        credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
        forcePathStyle: true,
      });
      expect(parseConfig({ STORAGE: 's3', S3_BUCKET: 'chat-files' }).attachments.s3.credentials).toBeUndefined();
    });

    it('refuse s3 without a bucket, half a key pair, a bad bucket name or storage', () => {
      expect(problemsOf({ STORAGE: 's3' })).toEqual([expect.stringContaining('STORAGE=s3 needs S3_BUCKET')]);
      expect(problemsOf({ STORAGE: 's3', S3_BUCKET: 'b1b', S3_ACCESS_KEY_ID: 'id' })).toEqual([
        expect.stringContaining('set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY'),
      ]);
      expect(problemsOf({ S3_BUCKET: 'No_Such' })).toEqual([expect.stringContaining('S3_BUCKET')]);
      expect(problemsOf({ STORAGE: 'ftp' })).toEqual([expect.stringContaining('STORAGE')]);
      expect(problemsOf({ UPLOAD_MAX_BYTES: '0' })).toEqual([expect.stringContaining('UPLOAD_MAX_BYTES')]);
    });
  });

  describe('JWT_SECRET', () => {
    const strong = 'a-real-secret-of-enough-length-0123456789';

    it('is required in production', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^JWT_SECRET:.*production/);
    });

    it('is listed together with the other bad variables', () => {
      const problems = problemsOf({ NODE_ENV: 'production', API_PORT: 'x' });
      expect(problems.some((p) => p.startsWith('API_PORT:'))).toBe(true);
      expect(problems.some((p) => p.startsWith('JWT_SECRET:'))).toBe(true);
    });

    it.each(['production', 'development', 'test'])('must be at least 32 bytes (NODE_ENV=%s)', (env) => {
      expect(problemsOf({ NODE_ENV: env, JWT_SECRET: 'short' })[0]).toMatch(/^JWT_SECRET:.*32 bytes/);
      expect(problemsOf({ NODE_ENV: env, JWT_SECRET: 'x'.repeat(31) })[0]).toMatch(/^JWT_SECRET:.*32 bytes/);
      expect(parseConfig({ NODE_ENV: env, JWT_SECRET: 'x'.repeat(32) }).auth.jwtSecret).toBe('x'.repeat(32));
    });

    it.each(KNOWN_BAD_SECRETS)('refuses %p, a value written in this repository, in every environment', (secret) => {
      for (const env of ['production', 'development', 'test']) {
        expect(problemsOf({ NODE_ENV: env, JWT_SECRET: secret })[0]).toMatch(/^JWT_SECRET:.*published/);
      }
    });

    it('refuses the fallbacks of docker-compose.yml and k8s/secret.yaml as they were', () => {
      expect(KNOWN_BAD_SECRETS).toEqual(
        expect.arrayContaining([
          'dev-only-secret-change-me-in-production',
          'change-me-dev-only-jwt-secret-0000',
          'change-me-in-production-0123456789abcdef',
        ]),
      );
    });

    it('runs when set', () => {
      expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).auth.jwtSecret).toBe(strong);
    });

    it('outside production, unset means the secret of devSecret(DATA_DIR)', () => {
      const devSecret = jest.fn((dataDir: string) => `secret-kept-in-${dataDir}`.padEnd(40, '-'));
      const config = parseConfig({ NODE_ENV: 'development', DATA_DIR: '/tmp/x' }, { devSecret });
      expect(devSecret).toHaveBeenCalledWith('/tmp/x');
      expect(config.auth.jwtSecret).toBe('secret-kept-in-/tmp/x'.padEnd(40, '-'));
      // Set, it is used as is and devSecret is not asked.
      devSecret.mockClear();
      expect(parseConfig({ NODE_ENV: 'test', JWT_SECRET: strong }, { devSecret }).auth.jwtSecret).toBe(strong);
      expect(devSecret).not.toHaveBeenCalled();
    });

    it('without devSecret, unset is one random secret per process, never a constant', () => {
      const a = parseConfig({ NODE_ENV: 'test' }).auth.jwtSecret;
      expect(Buffer.byteLength(a)).toBeGreaterThanOrEqual(32);
      expect(parseConfig({ NODE_ENV: 'development' }).auth.jwtSecret).toBe(a);
      expect(KNOWN_BAD_SECRETS).not.toContain(a);
    });
  });
  describe('GraphQL', () => {
    const strong = 'a-real-secret-of-enough-length-0123456789';
    it('introspection is on outside production and off in production unless GRAPHQL_INTROSPECTION says', () => {
      expect(parseConfig({}).graphql).toMatchObject({ enabled: true, introspection: true, maxDepth: 8, maxCost: 5000 });
      expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).graphql.introspection).toBe(false);
      expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: strong, GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection).toBe(true);
      expect(parseConfig({ GRAPHQL_INTROSPECTION: 'false' }).graphql.introspection).toBe(false);
    });

    it('refuses limits that are not positive integers', () => {
      expect(problemsOf({ GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_COST: 'lots' })).toEqual([
        expect.stringMatching(/^GRAPHQL_MAX_DEPTH:/),
        expect.stringMatching(/^GRAPHQL_MAX_COST:/),
      ]);
    });
  });
});
