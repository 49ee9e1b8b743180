import { both, counts, post, routers, startGraph, stopGraph, stopReviews } from './executor-graph';

/**
 * The router's plan executor (executor/) against Apollo's executor, differentially: the same
 * supergraph behind two routers, QUERY_EXECUTOR=router and QUERY_EXECUTOR=apollo, must answer every
 * request with the same bytes and the same number of subgraph requests. The graph has entity chains,
 * @requires, @provides, an interface and a union, lists of lists, aliases and fragments; the
 * queries cover what the plan executor answers itself (checked in its debug log) and what it hands
 * to Apollo's executor (subgraph errors, nulls in non-null fields, a subgraph down, mutations,
 * @skip, introspection), which must then replay the subgraph answers it already has, not ask again.
 */

beforeAll(startGraph);
afterAll(stopGraph);

/** `label`, the operation, its variables (objects: jest.each would take a missing third item for `done`). */
interface Case {
  label: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Debug lines saying why Apollo's executor answers (none for a mutation: never the plan executor's). */
  logged?: number;
}

const ANSWERED_HERE: Case[] = [
  {
    label: 'entity chains across four subgraphs, @requires with an enum, null and empty lists',
    query: `{ products { id name weight shippingCost rating reviews { id body author { id name email } } tags } }`,
  },
  {
    label: 'aliases, named and inline fragments, a field repeated with other sub-fields (merged)',
    query: `query Shelf {
       first: product(id: "p1") { ...Card n: name reviews { id } }
       second: product(id: "p3") { id ... on Product { reviews { body } } ...Card }
       missing: product(id: "nope") { id }
     }
     fragment Card on Product { id name category reviews { author { name } } }`,
  },
  {
    label: 'a union and an interface with __typename, type conditions and @provides',
    query: `{ __typename
       search(text: "x") { __typename ... on Brand { id brand: name } ... on Product { id name rating } }
       node(id: "b1") { id __typename ... on Product { name } ... on Brand { brand: name } }
       product(id: "p1") { reviews { brand { id name } } brand { name } } }`,
  },
  {
    label: 'variables, and a list of lists with nulls',
    query: `query ($id: ID!) { product(id: $id) { id name shippingCost } grid { id name rating } }`,
    variables: { id: 'p1' },
  },
];

const HANDED_TO_APOLLO: Case[] = [
  { label: 'an error from a root field', query: `{ product(id: "boom") { id name } products { id } }` },
  { label: 'an error from an entity fetch (partial data)', query: `{ products { id awards } }` },
  {
    label: 'an entity not found under a non-null field',
    query: `{ product(id: "ghost") { id reviews { id author { name } } } }`,
  },
  {
    label: 'a mutation',
    query: `mutation { rename(id: "p1", name: "Renamed") { id name reviews { id } } }`,
    logged: 0,
  },
  {
    label: '@skip and @include',
    query: `query ($s: Boolean!) { products { id name @skip(if: $s) rating @include(if: $s) } }`,
    variables: { s: true },
  },
  { label: 'introspection', query: `{ __schema { queryType { name } } products { id } }` },
];

/** Request ids differ between the two routers' answers; everything else must not. */
const comparable = (text: string) => text.replace(/"requestId":"[^"]*"/g, '"requestId":"…"');

describe('the plan executor, compared with Apollo’s executor', () => {
  it.each(ANSWERED_HERE)(
    'answers $label itself, byte for byte as Apollo’s executor',
    async ({ query, variables }) => {
      const { mine, theirs, myRequests, theirRequests, fallbacks } = await both(query, variables);
      expect(mine.status).toBe(200);
      expect(JSON.parse(mine.text)).not.toHaveProperty('errors');
      expect(fallbacks).toEqual([]);
      expect(mine.text).toBe(theirs.text);
      expect(myRequests).toBe(theirRequests);
    },
  );

  it.each(HANDED_TO_APOLLO)(
    'hands $label to Apollo’s executor: the same answer, no subgraph asked twice',
    async ({ query, variables, logged = 1 }) => {
      const { mine, theirs, myRequests, theirRequests, fallbacks } = await both(query, variables);
      expect(comparable(mine.text)).toBe(comparable(theirs.text));
      expect(mine.status).toBe(theirs.status);
      expect(myRequests).toBe(theirRequests);
      expect(fallbacks).toHaveLength(logged);
    },
  );

  it('hands invalid variables to Apollo’s executor, which refuses them before any subgraph request', async () => {
    const { mine, theirs, myRequests } = await both(`query ($id: ID!) { product(id: $id) { id } }`, {
      id: { not: 'an id' },
    });
    expect(comparable(mine.text)).toBe(comparable(theirs.text));
    expect(mine.text).toContain('Variable \\"$id\\" got invalid value');
    expect(myRequests).toBe(0);
  });

  it('answers a second request for an operation from its compiled plan, with the same bytes', async () => {
    const { query } = ANSWERED_HERE[0]!;
    const first = await both(query);
    const second = await both(query);
    expect(second.mine.text).toBe(first.mine.text);
    expect(second.fallbacks).toEqual([]);
  });

  it('sends one subgraph request for identical ones of concurrent queries, per Authorization', async () => {
    const [ours, apollos] = routers;
    const query = '{ slowProducts { id name rating } }';
    const before = { ...counts };
    const answers = await Promise.all([
      ...[1, 2, 3, 4].map(() => post(ours!.url, query, undefined, 'Bearer a')),
      post(ours!.url, query, undefined, 'Bearer b'),
    ]);
    const expected = await post(apollos!.url, query);
    expect(new Set(answers.map((a) => a.text))).toEqual(new Set([expected.text]));
    const sent = (name: string) => (counts[name] ?? 0) - (before[name] ?? 0);
    // ours: one catalog request per Authorization, then one reviews request each; Apollo's: 1 + 1
    expect(sent('catalog')).toBe(2 + 1);
    expect(sent('reviews')).toBe(2 + 1);
  });

  it('hands a subgraph that is down to Apollo’s executor: the same partial answer', async () => {
    await stopReviews(); // for the rest of the file
    const { mine, theirs, fallbacks } = await both(`{ products { id name rating } }`);
    expect(comparable(mine.text)).toBe(comparable(theirs.text));
    const body = JSON.parse(mine.text) as { data: { products: { rating: null }[] }; errors: unknown[] };
    expect(body.data.products.map((p) => p.rating)).toEqual([null, null, null]);
    expect(body.errors.length).toBeGreaterThan(0);
    expect(fallbacks.map((f) => f.reason)).toEqual(['reviews failed']);
  });
});
