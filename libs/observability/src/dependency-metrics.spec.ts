import { register } from 'prom-client';
import { redisReconnectCounter, watchDatabasePool } from './dependency-metrics';

describe('dependency metrics', () => {
  it('counts reconnects per connection name', async () => {
    const observer = redisReconnectCounter();
    observer.reconnecting('gw-1:pubsub');
    observer.reconnecting('gw-1:pubsub');
    expect(await register.metrics()).toContain('chat_redis_reconnects_total{connection="gw-1:pubsub"} 2');
  });

  it('adds up the pools it watches, on scrape, and forgets a closed one', async () => {
    const stats = { total: 4, idle: 1, waiting: 2 };
    const stop = watchDatabasePool({ poolStats: () => stats });
    const unpooled = watchDatabasePool({});
    const second = watchDatabasePool({ poolStats: () => ({ total: 1, idle: 1, waiting: 0 }) });
    let text = await register.metrics();
    expect(text).toContain('chat_pg_pool_clients{state="total"} 5');
    expect(text).toContain('chat_pg_pool_clients{state="idle"} 2');
    expect(text).toContain('chat_pg_pool_clients{state="waiting"} 2');
    second();
    stats.waiting = 0;
    text = await register.metrics();
    expect(text).toContain('chat_pg_pool_clients{state="total"} 4');
    expect(text).toContain('chat_pg_pool_clients{state="waiting"} 0');
    stop();
    unpooled();
  });
});
