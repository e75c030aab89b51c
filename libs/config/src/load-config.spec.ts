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
    expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(16);
    expect(config.shards).toBe(16);
    expect(config.gateway.heartbeatMs).toBeGreaterThanOrEqual(4000);
    expect(config.gateway.id).toMatch(/^gw-/);
    expect(config.messages.batchSize).toBeGreaterThan(0);
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
    });
    expect(config).toMatchObject({
      env: 'test',
      api: { port: 4000 },
      gateway: { port: 9090, id: 'gw-7', heartbeatMs: 30000 },
      redis: { url: 'redis://10.0.0.5:6380' },
      database: { url: 'postgres://chat@db:5432/chat' },
      auth: { guestLogin: false },
      shards: 64,
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

  describe('JWT_SECRET in production', () => {
    it('is required', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^JWT_SECRET:.*production/);
    });

    it('is listed together with the other bad variables', () => {
      const problems = problemsOf({ NODE_ENV: 'production', API_PORT: 'x' });
      expect(problems.some((p) => p.startsWith('API_PORT:'))).toBe(true);
      expect(problems.some((p) => p.startsWith('JWT_SECRET:'))).toBe(true);
    });

    it('must be at least 16 chars', () => {
      expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'short' })[0]).toMatch(/^JWT_SECRET:/);
    });

    it('runs when set', () => {
      const secret = 'a-real-secret-of-enough-length';
      expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).auth.jwtSecret).toBe(secret);
    });

    it('is optional outside production', () => {
      expect(() => parseConfig({ NODE_ENV: 'test' })).not.toThrow();
      expect(() => parseConfig({ NODE_ENV: 'development' })).not.toThrow();
    });
  });
});
