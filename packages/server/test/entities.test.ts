import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse, type GraphQLSchema } from 'graphql';
import { memoryLog } from '@shop/testing';
import { checkRepresentations, guardEntities } from '../src/entities';
import { createLogger } from '../src/logger';
import { createSubgraphServer } from '../src/subgraph';
import type { GraphQLServer } from '../src/http';

const logs = memoryLog();
const log = createLogger({ name: 'entities-test', level: 'info' }, logs.stream);

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])
  type Money @shareable { amount: Int! currency: String! }
  type Product @key(fields: "id") { id: ID! name: String! price: Money! }
  type Review @key(fields: "id") { id: ID! stars: Int! }
  type Query { product(id: ID!): Product }
`);

let resolved: unknown[] = [];
const resolvers = {
  Product: {
    __resolveReference: (ref: { id: string }) => {
      resolved.push(ref);
      return { id: ref.id, name: `product ${ref.id}`, price: { amount: 1, currency: 'EUR' } };
    },
  },
  Review: {
    __resolveReference: (ref: { id: string }) => {
      resolved.push(ref);
      return { id: ref.id, stars: 5 };
    },
  },
};

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name } ... on Review { id stars } } }`;

interface Answer {
  data?: { _entities: unknown[] | null } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const run = async (schema: GraphQLSchema, representations: unknown): Promise<Answer> =>
  JSON.parse(
    JSON.stringify(
      await graphql({ schema, source: ENTITIES, variableValues: { r: representations }, contextValue: {} }),
    ),
  ) as Answer;

/** The bad representations of finding 9, each with the words its error must contain. */
const BAD: [string, unknown, RegExp][] = [
  ['an unknown __typename', { __typename: 'Nope', id: '1' }, /"Nope" is not an entity type/],
  ['a missing __typename', { id: '1' }, /has no __typename/],
  ['a number as __typename', { __typename: 7, id: '1' }, /__typename must be a string/],
  ['null as __typename', { __typename: null, id: '1' }, /__typename must be a string/],
  ['an object as __typename', { __typename: { a: 1 }, id: '1' }, /__typename must be a string/],
  ['a type that is not an entity', { __typename: 'Money', amount: 1 }, /"Money" is not an entity type/],
  ['the query type', { __typename: 'Query' }, /"Query" is not an entity type/],
  ['a federation type', { __typename: '_Service' }, /"_Service" is not an entity type/],
  ['a string, not an object', 'Product', /must be an object with a __typename/],
  ['a list, not an object', [{ __typename: 'Product', id: '1' }], /must be an object with a __typename/],
  ['a number, not an object', 12, /must be an object with a __typename/],
];

describe('guardEntities (finding 9)', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = guardEntities(buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }));
  });
  beforeEach(() => {
    resolved = [];
  });

  it('without the guard, an unknown __typename is a plain Error (masked as INTERNAL_SERVER_ERROR)', async () => {
    const unguarded = buildSubgraphSchema({ typeDefs, resolvers: resolvers as never });
    const answer = await run(unguarded, [{ __typename: 'Nope', id: '1' }]);
    expect(answer.errors?.[0]?.extensions?.code).toBeUndefined();
  });

  it('resolves good representations as before', async () => {
    const answer = await run(schema, [
      { __typename: 'Product', id: 'p1' },
      { __typename: 'Review', id: 'r1' },
    ]);
    expect(answer).toEqual({
      data: {
        _entities: [
          { id: 'p1', name: 'product p1' },
          { id: 'r1', stars: 5 },
        ],
      },
    });
  });

  it.each(BAD)('refuses %s with BAD_USER_INPUT naming it and its index', async (_name, bad, message) => {
    const answer = await run(schema, [{ __typename: 'Product', id: 'p1' }, bad]);
    expect(answer.data).toBeNull(); // _entities is non-null
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]!.message).toMatch(message);
    expect(answer.errors![0]!.message).toMatch(/^representations\[1\]/);
    expect(answer.errors![0]!.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'representations',
      index: 1,
    });
    // checked before any resolver runs: the good representation before it was not resolved either
    expect(resolved).toEqual([]);
  });

  it('coerces a single representation (not a list) into a list of one and checks it', async () => {
    expect((await run(schema, { __typename: 'Product', id: 'p1' })).data).toEqual({
      _entities: [{ id: 'p1', name: 'product p1' }],
    });
    const answer = await run(schema, { __typename: 'Nope' });
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 0 });
  });

  it('refuses representations that are not a list at all (a direct call of the resolver)', () => {
    expect(() => checkRepresentations({ __typename: 'Product' }, new Set(['Product']))).toThrow(
      'representations must be a list of entity representations',
    );
    expect(() => checkRepresentations(undefined, new Set(['Product']))).toThrow(/must be a list/);
  });

  it('does not repeat a huge __typename in full', async () => {
    const answer = await run(schema, [{ __typename: 'X'.repeat(10_000) }]);
    expect(answer.errors![0]!.message.length).toBeLessThan(200);
  });

  it('counts an own __typename only (not one inherited from the prototype)', () => {
    const inherited = Object.create({ __typename: 'Product' }) as object;
    expect(() => checkRepresentations([inherited], new Set(['Product']))).toThrow(/has no __typename/);
  });

  it('is idempotent', async () => {
    const twice = guardEntities(
      guardEntities(buildSubgraphSchema({ typeDefs, resolvers: resolvers as never })),
    );
    expect((await run(twice, [{ __typename: 'Product', id: 'p1' }])).data).toEqual({
      _entities: [{ id: 'p1', name: 'product p1' }],
    });
    expect(resolved).toHaveLength(1);
  });
});

describe('createSubgraphServer guards _entities', () => {
  let server: GraphQLServer;
  let url: string;
  beforeAll(async () => {
    server = await createSubgraphServer({
      typeDefs,
      resolvers,
      verifyToken: () => Promise.reject(new Error('no tokens in this test')),
      routerSecret: 'a-router-secret-for-this-test',
      log,
      context: (base) => base,
    });
    ({ url } = await server.listen(0));
  });
  afterAll(() => server.close());
  beforeEach(() => {
    resolved = [];
  });

  it('answers BAD_USER_INPUT, never INTERNAL_SERVER_ERROR, over HTTP', async () => {
    for (const [, bad] of BAD) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-router-secret': 'a-router-secret-for-this-test' },
        body: JSON.stringify({ query: ENTITIES, variables: { r: [bad] } }),
      });
      const answer = (await res.json()) as Answer;
      expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    expect(resolved).toEqual([]);
    expect(logs.lines.filter((l) => /unexpected error/.test(l))).toEqual([]);
  });
});
