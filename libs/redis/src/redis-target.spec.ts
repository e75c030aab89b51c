import { clusterConnectionString, parseRedisTarget, redactedRedis } from './redis-target';

describe('Redis targets', () => {
  it('a plain REDIS_URL is one server', () => {
    expect(parseRedisTarget('redis://:pw@10.0.0.1:6380/2')).toEqual({ kind: 'server', url: 'redis://:pw@10.0.0.1:6380/2' });
  });

  it('REDIS_CLUSTER_NODES become seeds, with the credentials and TLS of REDIS_URL', () => {
    const connection = clusterConnectionString('rediss://app:s%40cret@ignored:6379', ' a.example:7000, 10.0.0.2:7001 ,[::1]:7002');
    expect(connection).toBe('rediss+cluster://app:s%40cret@a.example:7000,10.0.0.2:7001,[::1]:7002');
    expect(parseRedisTarget(connection)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a.example', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      redisOptions: { username: 'app', password: 's@cret', tls: {} },
    });
  });

  it('a cluster without credentials connects without them', () => {
    expect(parseRedisTarget(clusterConnectionString('redis://127.0.0.1:6379', '127.0.0.1:7000'))).toEqual({
      kind: 'cluster',
      nodes: [{ host: '127.0.0.1', port: 7000 }],
      redisOptions: { username: undefined, password: undefined, tls: undefined },
    });
  });

  it('a seed without a port is refused, naming it', () => {
    expect(() => parseRedisTarget('redis+cluster://10.0.0.1')).toThrow('"10.0.0.1" is not a host:port Redis Cluster seed');
  });

  it('passwords never reach logs', () => {
    expect(redactedRedis('redis+cluster://app:secret@h:7000,h2:7000')).toBe('redis+cluster://app:***@h:7000,h2:7000');
    expect(redactedRedis('redis://:secret@h:6379')).toBe('redis://:***@h:6379');
  });
});
