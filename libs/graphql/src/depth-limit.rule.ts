import { ASTVisitor, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';
import { ErrorCode } from '@chat/protocol';

/**
 * Refuses an operation whose selections nest deeper than `maxDepth` (`{ me { id } }` is 2).
 * Fragments count where they are spread. Introspection fields (`__schema`, `__type`) are not
 * counted: whether they may be asked at all is the introspection switch's decision, and the
 * standard introspection query nests a dozen levels.
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const depth = depthOf(operation.selectionSet, context, new Set());
      if (depth > maxDepth) {
        context.reportError(
          new GraphQLError(`the operation nests ${depth} levels deep; at most ${maxDepth} are allowed`, {
            nodes: [operation],
            extensions: { code: ErrorCode.BAD_REQUEST, depth, maxDepth },
          }),
        );
      }
    },
  });
}

function depthOf(selectionSet: SelectionSetNode, context: ValidationContext, spread: ReadonlySet<string>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    switch (selection.kind) {
      case Kind.FIELD:
        if (selection.name.value.startsWith('__')) break;
        deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, context, spread) : 0));
        break;
      case Kind.INLINE_FRAGMENT:
        deepest = Math.max(deepest, depthOf(selection.selectionSet, context, spread));
        break;
      case Kind.FRAGMENT_SPREAD: {
        const fragment = fragmentOnce(selection.name.value, context, spread);
        if (fragment) deepest = Math.max(deepest, depthOf(fragment.selectionSet, context, new Set(spread).add(fragment.name.value)));
        break;
      }
    }
  }
  return deepest;
}

/** The fragment, unless unknown or already being walked (a cycle: NoFragmentCyclesRule reports it). */
export function fragmentOnce(name: string, context: ValidationContext, spread: ReadonlySet<string>): FragmentDefinitionNode | undefined {
  return spread.has(name) ? undefined : (context.getFragment(name) ?? undefined);
}
