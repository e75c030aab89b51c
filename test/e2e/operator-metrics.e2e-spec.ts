import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { guest, WsClient } from '../support/ws-client';

/** One sample of a Prometheus text exposition: `name{labels} value`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * The operator's metrics, read from each app's /metrics as Prometheus would, after the
 * things they count happened: a refused token, a delivered message, streams in use.
 */
describe('operator metrics', () => {
  let stack: ChatStack;

  beforeAll(async () => {
    stack = await startChatStack('ops_metrics', { gateways: 1, messages: 1, env: { SHARDS: '2' } });
  });
  afterAll(() => stack?.teardown());

  const metricsOf = async (app: string) => {
    const proc = stack.processes.find((p) => p.name.startsWith(`${app}-`))!;
    return (await fetch(`http://127.0.0.1:${proc.port}/metrics`)).text();
  };

  it('gateway: a bad token moves the 4001 close and bad_token counters; a delivery is timed from its commit', async () => {
    const before = await metricsOf('gateway');
    const closes = sample(before, 'gateway_closes_total{code="4001"}') ?? 0;
    const refused = sample(before, 'gateway_auth_failures_total{reason="bad_token"}') ?? 0;

    const bad = await WsClient.connect(stack.gatewayUrls[0], 'not-a-token', { waitHello: false }).catch(() => undefined);
    expect((await bad!.closed).code).toBe(4001);

    const { token } = await guest(stack.apiUrl, uniqueName('om'));
    const alice = await WsClient.connect(stack.gatewayUrls[0], token);
    const { room } = await alice.call('room.create', { name: 'metrics' });
    const delivered = alice.next((f) => f.type === 'message.created', 15_000, 'message.created');
    await alice.call('message.send', { roomId: room.id, text: 'hi', clientMsgId: 'm1' });
    await delivered;
    await alice.close();

    const after = await metricsOf('gateway');
    expect(sample(after, 'gateway_closes_total{code="4001"}')).toBe(closes + 1);
    expect(sample(after, 'gateway_auth_failures_total{reason="bad_token"}')).toBe(refused + 1);
    expect(sample(after, 'gateway_closes_total{code="1005"}') ?? sample(after, 'gateway_closes_total{code="1000"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gateway_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(1);
    // Same host, same clock: from commit to uWS well under a second.
    expect(sample(after, 'gateway_delivery_latency_seconds_bucket{le="1"}')).toBe(sample(after, 'gateway_delivery_latency_seconds_count'));
    // Registered from the start (a counter with labels shows its series once Redis reconnects).
    expect(after).toContain("# TYPE chat_redis_reconnects_total counter");
  });

  it('messages, presence and api: backlog and dead letters of the streams they consume, PostgreSQL pool', async () => {
    const messages = await metricsOf('messages');
    for (const shard of [0, 1]) {
      expect(sample(messages, `chat_stream_group_pending_entries{stream="chat:in:{${shard}}",group="messages"}`)).toBe(0);
      expect(sample(messages, `chat_stream_dead_letters{stream="chat:in:{${shard}}"}`)).toBe(0);
    }
    expect(sample(messages, 'chat_stream_group_lag_entries{stream="chat:reads",group="messages-reads"}')).toBe(0);
    expect(sample(messages, 'chat_pg_pool_clients{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(messages, 'chat_pg_pool_clients{state="waiting"}')).toBe(0);

    const presence = await metricsOf('presence');
    expect(sample(presence, 'chat_stream_group_pending_entries{stream="presence:in",group="presence"}')).toBeGreaterThanOrEqual(0);
    expect(sample(presence, 'chat_stream_dead_letters{stream="presence:in"}')).toBe(0);

    expect(sample(await metricsOf('api'), 'chat_pg_pool_clients{state="total"}')).toBeGreaterThanOrEqual(1);
  });
});
