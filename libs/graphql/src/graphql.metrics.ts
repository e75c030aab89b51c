import { Counter, Gauge, oncePerProcess } from '@chat/observability';

/** Metrics of the GraphQL door (api). */
export const graphqlMetrics = oncePerProcess(() => ({
  operations: new Counter({
    name: 'chat_graphql_operations_total',
    help: 'GraphQL operations by transport (http, ws), kind (query, mutation, subscription; unknown when refused before parsing) and outcome (ok, error: ran with errors, refused: did not run)',
    labelNames: ['transport', 'kind', 'outcome'],
  }),
  subscriptions: new Gauge({ name: 'chat_graphql_subscriptions', help: 'GraphQL subscriptions streaming now' }),
  connections: new Gauge({ name: 'chat_graphql_ws_connections', help: 'graphql-transport-ws connections with a chat session now' }),
}));

export type GraphqlTransport = 'http' | 'ws';
