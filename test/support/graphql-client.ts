import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export type GraphqlResponse = { status: number; body: FormattedExecutionResult<any, any> & { errors?: { message: string; extensions?: any }[] } };

/** POST /graphql with a Bearer token (or none). */
export async function graphqlPost(apiUrl: string, token: string | undefined, body: Record<string, unknown>): Promise<GraphqlResponse> {
  const res = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as GraphqlResponse['body'] };
}

/** GET /graphql?… (queries only). */
export async function graphqlGet(apiUrl: string, token: string | undefined, params: Record<string, unknown>): Promise<GraphqlResponse> {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]),
  );
  const res = await fetch(`${apiUrl}/graphql?${search}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as GraphqlResponse['body'] };
}

/** Runs an operation and fails on any error: its data. */
export async function graphqlData(apiUrl: string, token: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const { status, body } = await graphqlPost(apiUrl, token, { query, variables });
  if (status !== 200 || body.errors) throw new Error(`graphql ${status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * A graphql-transport-ws client (graphql-ws's own, on `ws`), connecting at once and never
 * retrying, so a test sees the server's close as it is. `closed` resolves with the close.
 */
export function graphqlWsClient(apiUrl: string, connectionParams: Record<string, unknown>): { client: Client; closed: Promise<{ code: number; reason: string }>; connected: Promise<void> } {
  let onClosed!: (close: { code: number; reason: string }) => void;
  let onConnected!: () => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const client = createClient({
    url: `${apiUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    onNonLazyError: () => undefined,
    on: {
      connected: () => onConnected(),
      closed: (event) => onClosed({ code: (event as { code: number }).code, reason: String((event as { reason: string }).reason) }),
    },
  });
  return { client, closed, connected };
}

/** One subscription's results as they come, awaited by predicate (no sleeps). */
export class GraphqlSubscription {
  readonly results: FormattedExecutionResult<any, any>[] = [];
  readonly done: Promise<{ error?: unknown }>;
  private readonly waiters: { pred: () => boolean; resolve: () => void }[] = [];
  private readonly dispose: () => void;

  constructor(client: Client, query: string, variables?: Record<string, unknown>) {
    let settle!: (outcome: { error?: unknown }) => void;
    this.done = new Promise((resolve) => (settle = resolve));
    this.dispose = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          this.results.push(result);
          for (const w of [...this.waiters]) {
            if (w.pred()) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve();
            }
          }
        },
        error: (error) => settle({ error }),
        complete: () => settle({}),
      },
    );
  }

  /** The data of every result, in order. */
  get data(): any[] {
    return this.results.map((r) => r.data);
  }

  /** Resolves once `pred` holds over what was received (checked now and on every result). */
  until(pred: () => boolean, timeoutMs = 20_000, what = 'subscription results'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.results).slice(0, 2000)}`));
      }, timeoutMs);
      const waiter = {
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  stop(): void {
    this.dispose();
  }
}
