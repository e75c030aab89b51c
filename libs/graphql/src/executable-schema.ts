import { buildSchema, GraphQLSchema, isObjectType } from 'graphql';
import { FieldResolvers, RESOLVERS } from './resolvers';
import { SCHEMA_SDL } from './schema-sdl';

/**
 * schema.graphql with the resolvers bound to its fields. Fails at start, not at the first
 * request, when a resolver names a field the schema lacks or a root field has no resolver.
 * (Union members are told apart by the `__typename` their values carry.)
 */
export function executableSchema(resolvers: Record<string, FieldResolvers> = RESOLVERS): GraphQLSchema {
  const schema = buildSchema(SCHEMA_SDL);
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`resolvers for "${typeName}", which is not an object type of schema.graphql`);
    for (const [fieldName, resolver] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field) throw new Error(`a resolver for ${typeName}.${fieldName}, which schema.graphql does not have`);
      if (typeof resolver === 'function') field.resolve = resolver;
      else Object.assign(field, resolver);
    }
  }
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (!field.resolve && !field.subscribe) throw new Error(`${root!.name}.${field.name} has no resolver`);
    }
  }
  return schema;
}
