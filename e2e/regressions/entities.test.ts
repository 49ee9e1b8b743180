/**
 * Finding 9 of issue 16: `_entities` with an unknown or missing `__typename` answered
 * INTERNAL_SERVER_ERROR on every subgraph. Now every subgraph (the four Apollo ones through
 * createSubgraphServer, products through mercurius) refuses a representation it cannot resolve with
 * BAD_USER_INPUT naming the problem and the representation's index, before any resolver runs.
 * Posted straight to each subgraph with the router secret, as only the router may; the gateway does
 * not expose `_entities` at all.
 */
import type { SubgraphName } from '@shop/config';
import { gql } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';

let env: TestEnvironment;

beforeAll(async () => {
  env = await createTestEnvironment();
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }';

/** Per subgraph: an entity it resolves, and a type it has that is not an entity. */
const SUBGRAPHS: Record<SubgraphName, { entity: string; notEntity: string }> = {
  users: { entity: 'User', notEntity: 'Money' },
  products: { entity: 'Product', notEntity: 'Money' },
  orders: { entity: 'Order', notEntity: 'Money' },
  payments: { entity: 'Payment', notEntity: 'Money' },
  notifications: { entity: 'Notification', notEntity: 'PageInfo' },
};

const entities = (name: SubgraphName, representations: unknown) =>
  gql<{ _entities: unknown[] | null }>(
    env.subgraphs[name],
    ENTITIES,
    { r: representations },
    { 'x-router-secret': env.routerSecret },
  );

/** The bad representations, each with what its message must say; `entity` is a real one of the subgraph. */
const badRepresentations = (entity: string, notEntity: string): [string, unknown, RegExp][] => [
  ['an unknown __typename', { __typename: 'NoSuchType', id: '1' }, /"NoSuchType" is not an entity type/],
  [
    'a __typename in another letter case',
    { __typename: entity.toLowerCase(), id: '1' },
    new RegExp(`"${entity.toLowerCase()}" is not an entity type`),
  ],
  ['a missing __typename', { id: '1' }, /has no __typename/],
  ['a numeric __typename', { __typename: 1, id: '1' }, /__typename must be a string/],
  ['a null __typename', { __typename: null, id: '1' }, /__typename must be a string/],
  ['a list as __typename', { __typename: [entity], id: '1' }, /__typename must be a string/],
  [
    'a type that is not an entity',
    { __typename: notEntity, id: '1' },
    new RegExp(`"${notEntity}" is not an entity type`),
  ],
  ['the Query type', { __typename: 'Query' }, /"Query" is not an entity type/],
  ['a representation that is a string', entity, /must be an object with a __typename/],
  ['a representation that is a number', 42, /must be an object with a __typename/],
];

describe.each(Object.keys(SUBGRAPHS) as SubgraphName[])('finding 9: _entities on %s', (name) => {
  const { entity, notEntity } = SUBGRAPHS[name];

  it.each(badRepresentations(entity, notEntity))(
    'finding 9: %s is BAD_USER_INPUT naming it and its index, never INTERNAL_SERVER_ERROR',
    async (_case, bad, message) => {
      const res = await entities(name, [{ __typename: entity, id: 'not-an-issued-id' }, bad]);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toMatch(/^representations\[1\]/);
      expect(res.errors![0]!.message).toMatch(message);
      expect(res.errors![0]!.extensions).toMatchObject({ field: 'representations', index: 1 });
      expect(res.data?._entities ?? null).toBeNull();
    },
  );

  it('finding 9: a single representation instead of a list is checked the same way', async () => {
    const res = await entities(name, { __typename: 'NoSuchType' });
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions).toMatchObject({ index: 0 });
  });

  it(`finding 9: a well-formed ${entity} representation of an unknown id passes the check (null)`, async () => {
    const res = await entities(name, [{ __typename: entity, id: 'not-an-issued-id' }]);
    // notifications answers an anonymous caller UNAUTHENTICATED for its own entity; never a refusal
    // of the representation, never an internal error
    const codes = (res.errors ?? []).map((e) => e.extensions?.code);
    expect(codes.filter((c) => c !== 'UNAUTHENTICATED')).toEqual([]);
    expect(res.data).toEqual({ _entities: [null] });
  });
});

it('finding 9: the gateway does not expose _entities to clients', async () => {
  const res = await gql(env.url, ENTITIES, { r: [{ __typename: 'NoSuchType' }] });
  expect(res.errors?.length).toBeGreaterThan(0);
  expect(new Set(res.errors!.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
});

it('finding 9: no subgraph logged an unexpected error for any of these representations', () => {
  expect(env.logs.filter((line) => line.includes('unexpected error'))).toEqual([]);
});
