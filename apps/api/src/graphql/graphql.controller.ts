import { bearerTokenOf, SessionAuthenticator } from '@chat/accounts';
import { ChatReads, DoorSessions, GraphqlDoor, GraphqlRequest, graphqlContext, graphqlMetrics, PERSISTED_QUERY_NOT_FOUND, requestChatSession } from '@chat/graphql';
import { ChatError, ErrorCode, HTTP_STATUS_OF, User } from '@chat/protocol';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { GRAPHQL_DOOR_SESSIONS, GRAPHQL_READS } from './graphql.tokens';

/**
 * GraphQL over HTTP at /graphql: POST with a JSON body `{query, variables, operationName,
 * extensions}`, or GET with those as parameters (queries only: what a CDN or a browser cache
 * may repeat; persisted-query hashes keep such URLs short). `Authorization: Bearer <token>`
 * as for /api. Answers are `{data, errors}`: 200 once the operation ran (its errors carry
 * `extensions.code`), 400 for a request that cannot run, 401 without a valid token.
 * Subscriptions are served over graphql-transport-ws on the same path.
 */
@Controller('graphql')
export class GraphqlController {
  constructor(
    @Inject(GraphqlDoor) private readonly door: GraphqlDoor,
    @Inject(SessionAuthenticator) private readonly sessions: SessionAuthenticator,
    @Inject(GRAPHQL_READS) private readonly reads: ChatReads,
    @Inject(GRAPHQL_DOOR_SESSIONS) private readonly doorSessions: DoorSessions,
  ) {}

  @Post()
  async post(@Req() request: Request, @Res() response: Response): Promise<void> {
    const body: unknown = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return refuse(response, 400, [{ message: 'the body must be a JSON object {"query", "variables"?, "operationName"?, "extensions"?}', extensions: { code: ErrorCode.BAD_REQUEST } }]);
    }
    await this.answer(request, response, body as GraphqlRequest, 'POST');
  }

  @Get()
  async get(@Req() request: Request, @Res() response: Response): Promise<void> {
    const params = request.query as Record<string, unknown>;
    let graphqlRequest: GraphqlRequest;
    try {
      graphqlRequest = { query: params.query, operationName: params.operationName, variables: jsonParam(params, 'variables'), extensions: jsonParam(params, 'extensions') };
    } catch (err) {
      return refuse(response, 400, [{ message: (err as Error).message, extensions: { code: ErrorCode.BAD_REQUEST } }]);
    }
    await this.answer(request, response, graphqlRequest, 'GET');
  }

  private async answer(request: Request, response: Response, graphqlRequest: GraphqlRequest, method: 'GET' | 'POST'): Promise<void> {
    let viewer: User;
    try {
      viewer = await this.sessions.userOf(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      return refuse(response, HTTP_STATUS_OF[err.code], [{ message: err.message, extensions: { code: err.code } }]);
    }
    const prepared = await this.door.prepare(graphqlRequest);
    const operations = graphqlMetrics().operations;
    if (!prepared.ok) {
      operations.inc({ transport: 'http', kind: 'unknown', outcome: 'refused' });
      const errors = this.door.formatErrors(prepared.errors);
      // An unknown persisted hash is an ordinary answer the client acts on (it sends the text).
      return refuse(response, errors.every((e) => e.extensions?.code === PERSISTED_QUERY_NOT_FOUND) ? 200 : 400, errors);
    }
    const kind = prepared.prepared.operation.operation;
    if (kind === 'subscription' || (method === 'GET' && kind !== 'query')) operations.inc({ transport: 'http', kind, outcome: 'refused' });
    if (kind === 'subscription') {
      return refuse(response, 400, [{ message: 'subscriptions are served over graphql-transport-ws on this path', extensions: { code: ErrorCode.BAD_REQUEST } }]);
    }
    if (method === 'GET' && kind !== 'query') {
      response.setHeader('Allow', 'POST');
      return refuse(response, 405, [{ message: `a ${kind} needs POST`, extensions: { code: ErrorCode.BAD_REQUEST } }]);
    }
    const token = bearerTokenOf(request.headers.authorization);
    const chat = requestChatSession(this.doorSessions, token);
    const result = await this.door.execute(prepared.prepared, graphqlContext(viewer, this.reads, async () => chat));
    operations.inc({ transport: 'http', kind, outcome: result.errors ? 'error' : 'ok' });
    response.status(200).json(result);
  }
}

function refuse(response: Response, status: number, errors: GraphQLFormattedError[]): void {
  response.status(status).json({ errors });
}

/** A GET parameter holding JSON (variables, extensions); absent stays absent. */
function jsonParam(params: Record<string, unknown>, name: string): unknown {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be given once`);
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
}
