import { createRedis, observeRedisConnections } from './redis-connection';

describe('createRedis', () => {
  afterEach(() => observeRedisConnections(undefined));

  it('tells the observer each time a connection tries to reconnect, by its name', async () => {
    const names: string[] = [];
    const twice = new Promise<void>((resolve) =>
      observeRedisConnections({
        reconnecting: (name) => {
          if (names.push(name) === 2) resolve();
        },
      }),
    );
    // Nothing listens on port 1: every attempt fails and is retried.
    const redis = createRedis('redis://127.0.0.1:1', 'gw-test:commands', { retryStrategy: () => 10 }, { warn: () => undefined });
    await twice;
    redis.disconnect();
    expect(names).toEqual(['gw-test:commands', 'gw-test:commands']);
  });
});
