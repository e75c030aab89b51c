import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { costLimitRule } from './cost-limit.rule';
import { depthLimitRule } from './depth-limit.rule';
import { SCHEMA_SDL } from './schema-sdl';

const schema = buildSchema(SCHEMA_SDL);

function errorsOf(query: string, rule: ReturnType<typeof depthLimitRule>) {
  return validate(schema, parse(query), [...specifiedRules, rule]);
}

describe('depthLimitRule', () => {
  it('counts nested selections: { me { id } } is 2 levels', () => {
    expect(errorsOf('{ me { id } }', depthLimitRule(2))).toEqual([]);
    const [error] = errorsOf('{ me { id } }', depthLimitRule(1));
    expect(error.message).toBe('the operation nests 2 levels deep; at most 1 are allowed');
    expect(error.extensions).toEqual({ code: 'BAD_REQUEST', depth: 2, maxDepth: 1 });
  });

  it('follows fragments and inline fragments where they are spread', () => {
    const query = `
      query { room(id: "r") { ...Deep } }
      fragment Deep on Room { messages { messages { room { ... on Room { name } } } } }`;
    expect(errorsOf(query, depthLimitRule(5))).toEqual([]);
    expect(errorsOf(query, depthLimitRule(4))[0].extensions).toMatchObject({ depth: 5 });
  });

  it('takes the deepest branch, not the sum', () => {
    expect(errorsOf('{ me { id username } rooms { id name } }', depthLimitRule(2))).toEqual([]);
  });

  it('does not count introspection fields (the introspection switch decides about them)', () => {
    expect(errorsOf(getIntrospectionQuery(), depthLimitRule(2))).toEqual([]);
  });

  it('survives a fragment cycle (reported by the spec rules, not looped on)', () => {
    const errors = errorsOf('{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }', depthLimitRule(3));
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/Cannot spread fragment "A" within itself/)]);
  });
});

describe('costLimitRule', () => {
  function costOf(query: string): number | undefined {
    const [error] = errorsOf(query, costLimitRule(0));
    return error?.extensions.cost as number | undefined;
  }

  it('costs 1 per field', () => {
    expect(costOf('{ me { id username } }')).toBe(3);
  });

  it('multiplies what is below a list field by its size: the written limit, else its default, else assumedSize', () => {
    // The page field counts once; what is selected in it, once per item the page may hold.
    expect(costOf('{ messages(roomId: "r", limit: 10) { hasMore } }')).toBe(1 + 10 * 1);
    expect(costOf('{ messages(roomId: "r") { hasMore } }')).toBe(1 + 50 * 1);
    expect(costOf('query($n: Int) { messages(roomId: "r", limit: $n) { hasMore } }')).toBe(1 + 100 * 1);
    expect(costOf('{ rooms { id name } }')).toBe(1 + 100 * 2);
  });

  it('multiplies nested lists', () => {
    // rooms (100) × (messages(limit: 50) × (messages + author + username))
    expect(costOf('{ rooms { messages(limit: 50) { messages { author { username } } } } }')).toBe(1 + 100 * (1 + 50 * (1 + 1 + 1)));
  });

  it('counts fragments where they are spread, and every fragment of a union', () => {
    const query = `
      subscription { roomEvents(roomId: "r") { ... on MessageCreated { message { ...M } } ... on MessageDeleted { id } } }
      fragment M on Message { id text }`;
    expect(costOf(query)).toBe(1 + (1 + 2) + 1);
  });

  it('refuses past the limit with the cost in the error, and lets the same operation through at the limit', () => {
    const query = '{ rooms { messages(limit: 50) { messages { author { username } } } } }';
    expect(validate(schema, parse(query), [costLimitRule(15_101)])).toEqual([]);
    const [error] = validate(schema, parse(query), [costLimitRule(15_100)]);
    expect(error.message).toMatch(/may cost 15101; at most 15100/);
    expect(error.extensions).toEqual({ code: 'BAD_REQUEST', cost: 15_101, maxCost: 15_100 });
  });

  it('does not count introspection fields', () => {
    expect(validate(schema, parse(getIntrospectionQuery()), [costLimitRule(1)])).toEqual([]);
  });
});
