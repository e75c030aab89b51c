/** DI tokens of the GraphQL door (present only with GRAPHQL_ENABLED). */
export const GRAPHQL_READS = Symbol('GRAPHQL_READS');
/** The door sessions HTTP mutations go through (libs/door). */
export const GRAPHQL_DOOR_SESSIONS = Symbol('GRAPHQL_DOOR_SESSIONS');
