import { ErrorCode } from '@chat/protocol';
import {
  ASTVisitor,
  FieldNode,
  getDirectiveValues,
  getNamedType,
  GraphQLError,
  GraphQLField,
  GraphQLNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { fragmentOnce } from './depth-limit.rule';

/**
 * Refuses an operation that could cost more than `maxCost`: every field costs 1, and what is
 * selected under a field with `@listSize` (schema.graphql) counts once per item it may return.
 * So `rooms { messages(limit: 50) { author { username } } }` costs 1 + 100 × (1 + 50 × 3). It
 * is an upper bound: on a union, every fragment's selections are added up. Computed from the
 * document alone (a variable counts as the field's `assumedSize`), so a validated document can
 * be cached whatever its variables. Introspection fields are free (see depth-limit.rule.ts).
 */
export function costLimitRule(maxCost: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const root = context.getSchema().getRootType(operation.operation);
      if (!root) return;
      const cost = costOf(operation.selectionSet, root, context, new Set());
      if (cost > maxCost) {
        context.reportError(
          new GraphQLError(`the operation may cost ${cost}; at most ${maxCost} is allowed (ask for fewer items or fewer fields)`, {
            nodes: [operation],
            extensions: { code: ErrorCode.BAD_REQUEST, cost, maxCost },
          }),
        );
      }
    },
  });
}

function costOf(selectionSet: SelectionSetNode, parent: GraphQLNamedType, context: ValidationContext, spread: ReadonlySet<string>): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    switch (selection.kind) {
      case Kind.FIELD: {
        if (selection.name.value.startsWith('__')) break;
        // Unknown fields are FieldsOnCorrectTypeRule's to report.
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!field) break;
        const below = selection.selectionSet ? costOf(selection.selectionSet, getNamedType(field.type), context, spread) : 0;
        total += 1 + listSizeOf(field, selection, context) * below;
        break;
      }
      case Kind.INLINE_FRAGMENT: {
        const type = selection.typeCondition ? context.getSchema().getType(selection.typeCondition.name.value) : parent;
        if (type) total += costOf(selection.selectionSet, type, context, spread);
        break;
      }
      case Kind.FRAGMENT_SPREAD: {
        const fragment = fragmentOnce(selection.name.value, context, spread);
        const type = fragment && context.getSchema().getType(fragment.typeCondition.name.value);
        if (fragment && type) total += costOf(fragment.selectionSet, type, context, new Set(spread).add(fragment.name.value));
        break;
      }
    }
  }
  return total;
}

/** How many items the field may return: 1 without `@listSize`. */
function listSizeOf(field: GraphQLField<unknown, unknown>, node: FieldNode, context: ValidationContext): number {
  const directive = context.getSchema().getDirective('listSize');
  const listSize = directive && field.astNode ? getDirectiveValues(directive, field.astNode) : undefined;
  if (!listSize) return 1;
  const assumed = listSize.assumedSize as number;
  const slicing = listSize.slicingArgument as string | undefined;
  if (slicing === undefined) return assumed;
  const written = node.arguments?.find((a) => a.name.value === slicing)?.value;
  if (written?.kind === Kind.INT) return Math.max(0, Number(written.value));
  if (written) return assumed; // a variable (or a wrong literal, which validation refuses anyway)
  const fallback = field.args.find((a) => a.name === slicing)?.defaultValue;
  return typeof fallback === 'number' ? fallback : assumed;
}
