import {
  DocumentNode,
  execute,
  ExecutionArgs,
  ExecutionResult,
  FormattedExecutionResult,
  getOperationAST,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
  ValidationRule,
} from 'graphql';
import { costLimitRule } from './cost-limit.rule';
import { depthLimitRule } from './depth-limit.rule';
import { formatError, requestError } from './errors';
import { executableSchema } from './executable-schema';
import type { GraphqlContext } from './graphql-context';
import { GraphqlRequest, PersistedQueries } from './persisted-queries';

export interface GraphqlLimits {
  maxDepth: number;
  maxCost: number;
  /** `__schema` / `__type` allowed (config GRAPHQL_INTROSPECTION; off in production by default). */
  introspection: boolean;
}

/** A request ready to execute: its validated document and the operation to run. */
export interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variableValues: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

export type Prepared = { ok: true; prepared: PreparedOperation } | { ok: false; errors: readonly GraphQLError[] };

/** Parsing is bounded by tokens (graphql-js counts them as it goes), so a huge document fails fast. */
const MAX_TOKENS = 10_000;
/** Validated documents kept by query text; texts past the size are validated every time. */
const CACHED_DOCUMENTS = 500;
const CACHEABLE_QUERY_CHARS = 16 * 1024;

/**
 * The transport-free part of /graphql, shared by HTTP and graphql-transport-ws: a request's
 * query (text or persisted hash) → a document parsed and validated once (the spec's rules,
 * depth and cost limits, introspection when allowed) → execution → errors in the shape
 * clients get (protocol code in `extensions.code`).
 */
export class GraphqlDoor {
  readonly schema: GraphQLSchema = executableSchema();
  private readonly rules: readonly ValidationRule[];
  /** Query text → its document and validation errors; insertion-ordered, so the oldest goes first. */
  private readonly documents = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();

  constructor(
    limits: GraphqlLimits,
    private readonly persisted: PersistedQueries,
    private readonly onInternalError: (error: unknown) => void,
  ) {
    this.rules = [
      ...specifiedRules,
      depthLimitRule(limits.maxDepth),
      costLimitRule(limits.maxCost),
      ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
    ];
  }

  async prepare(request: GraphqlRequest): Promise<Prepared> {
    try {
      const query = await this.persisted.queryOf(request);
      const { variables, operationName } = request;
      if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) throw requestError('variables must be an object');
      if (operationName != null && typeof operationName !== 'string') throw requestError('operationName must be a string');
      const { document, errors } = this.validated(query);
      if (errors.length > 0) return { ok: false, errors };
      const operation = getOperationAST(document, operationName ?? undefined);
      if (!operation) {
        throw requestError(operationName ? `the document has no operation named "${operationName}"` : 'the document has several operations: name one with operationName');
      }
      return {
        ok: true,
        prepared: { document, operation, variableValues: (variables ?? undefined) as Record<string, unknown> | undefined, operationName: operationName ?? undefined },
      };
    } catch (err) {
      if (err instanceof GraphQLError) return { ok: false, errors: [err] };
      throw err;
    }
  }

  /** The arguments graphql-js (and graphql-ws) execute a prepared operation with. */
  executionArgs(prepared: PreparedOperation, context: GraphqlContext): ExecutionArgs {
    return { schema: this.schema, document: prepared.document, operationName: prepared.operationName, variableValues: prepared.variableValues, contextValue: context };
  }

  /** Runs a query or mutation (subscriptions go through graphql-ws). */
  async execute(prepared: PreparedOperation, context: GraphqlContext): Promise<FormattedExecutionResult> {
    return this.formatResult(await execute(this.executionArgs(prepared, context)));
  }

  formatResult({ errors, ...result }: ExecutionResult): FormattedExecutionResult {
    return errors ? { ...result, errors: this.formatErrors(errors) } : result;
  }

  formatErrors(errors: readonly GraphQLError[]): GraphQLFormattedError[] {
    return errors.map((e) => formatError(e, this.onInternalError));
  }

  private validated(query: string): { document: DocumentNode; errors: readonly GraphQLError[] } {
    const cached = this.documents.get(query);
    if (cached) {
      // Refresh its place: the least recently used goes first.
      this.documents.delete(query);
      this.documents.set(query, cached);
      return cached;
    }
    const document = parse(query, { maxTokens: MAX_TOKENS });
    const result = { document, errors: validate(this.schema, document, this.rules) };
    if (query.length <= CACHEABLE_QUERY_CHARS) {
      this.documents.set(query, result);
      if (this.documents.size > CACHED_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
    }
    return result;
  }
}
