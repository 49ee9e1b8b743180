import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import { GraphQLError, parse } from 'graphql';
import { configSchema } from '../config';
import { createGraphQLApollo, type GraphQLApollo } from '../graphql';

/**
 * The router's plan executor (executor.ts) against Apollo's executor, differentially: the same
 * supergraph behind two routers, QUERY_EXECUTOR=router and QUERY_EXECUTOR=apollo, must answer every
 * request with the same bytes and the same number of subgraph requests. The graph has entity chains,
 * @requires, @provides, an interface and a union, lists of lists, aliases and fragments; the
 * queries cover what the plan executor answers itself (checked in its debug log) and what it hands
 * to Apollo's executor (subgraph errors, nulls in non-null fields, a subgraph down, mutations,
 * @skip, introspection), which must then replay the subgraph answers it already has, not ask again.
 */
const logs = memoryLog();
const log = createLogger({ name: 'executor-test', level: 'debug' }, logs.stream);

const link = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ${JSON.stringify(imports)})`;

const catalogSdl = parse(`${link(['@key', '@shareable'])}
  type Query {
    products: [Product!]!
    "products, after 200 ms"
    slowProducts: [Product!]!
    product(id: ID!): Product
    search(text: String!): [SearchResult!]!
    node(id: ID!): Node
    grid: [[Product]]
  }
  type Mutation { rename(id: ID!, name: String!): Product }
  interface Node { id: ID! }
  enum Category { BOOKS MUSIC }
  type Product implements Node @key(fields: "id") {
    id: ID!
    name: String!
    weight: Int
    category: Category
    tags: [String!]
    brand: Brand
  }
  type Brand implements Node @key(fields: "id") { id: ID! name: String @shareable }
  union SearchResult = Product | Brand
`);
const reviewsSdl = parse(`${link(['@key', '@external', '@provides'])}
  type Product @key(fields: "id") { id: ID! reviews: [Review!]! rating: Float awards: [String!] }
  type Review @key(fields: "id") {
    id: ID!
    body: String
    author: User!
    brand: Brand @provides(fields: "name")
  }
  type User @key(fields: "id") { id: ID! }
  type Brand @key(fields: "id") { id: ID! name: String @external }
`);
const usersSdl = parse(`${link(['@key'])}
  type Query { me: User }
  type User @key(fields: "id") { id: ID! name: String! email: String }
`);
const shippingSdl = parse(`${link(['@key', '@external', '@requires'])}
  type Product @key(fields: "id") {
    id: ID!
    weight: Int @external
    category: Category @external
    shippingCost: Int @requires(fields: "weight category")
  }
  enum Category { BOOKS MUSIC }
`);

interface ProductRow {
  id: string;
  name: string;
  weight: number | null;
  category: 'BOOKS' | 'MUSIC';
  tags: string[];
  brand: string | null;
}
const PRODUCTS: ProductRow[] = [
  { id: 'p1', name: 'GraphQL in Action', weight: 700, category: 'BOOKS', tags: ['new'], brand: 'b1' },
  { id: 'p2', name: 'Federation Blues', weight: null, category: 'MUSIC', tags: [], brand: null },
  { id: 'p3', name: 'Schema Stitching', weight: 300, category: 'BOOKS', tags: ['old', 'sale'], brand: 'b1' },
];
const BRANDS = [{ id: 'b1', name: 'Manning' }];
/** u3 does not exist in the users subgraph: `author: User!` then lacks its non-null name. */
const REVIEWS: Record<string, { id: string; body: string; author: string }[]> = {
  p1: [
    { id: 'r1', body: 'Great', author: 'u1' },
    { id: 'r2', body: 'Fine', author: 'u2' },
  ],
  p2: [],
  p3: [{ id: 'r3', body: 'Dated', author: 'u1' }],
  ghost: [{ id: 'r4', body: 'Who?', author: 'u3' }],
};
const USERS = [
  { id: 'u1', name: 'Ada', email: 'ada@example.com' },
  { id: 'u2', name: 'Grace', email: null },
];
const productOut = (p: ProductRow) => ({ ...p, brand: p.brand ? { id: p.brand } : null });

/** Requests each subgraph received. */
const counts: Record<string, number> = {};
const servers: ApolloServer[] = [];

async function serve(name: string, typeDefs: ReturnType<typeof parse>, resolvers: object): Promise<string> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      {
        async requestDidStart() {
          counts[name] = (counts[name] ?? 0) + 1;
        },
      },
    ],
  });
  servers.push(server);
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return url;
}

let urls: Record<string, string>;
const routers: { gateway: GraphQLApollo; http: Server; url: string }[] = [];

async function startRouter(executor: 'router' | 'apollo') {
  const composed = composeServices(
    (
      [
        ['catalog', catalogSdl],
        ['reviews', reviewsSdl],
        ['users', usersSdl],
        ['shipping', shippingSdl],
      ] as const
    ).map(([name, typeDefs]) => ({ name, typeDefs, url: urls[name]! })),
  );
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    SUPERGRAPH_WATCH: 'false',
    SANDBOX: 'true',
    QUERY_EXECUTOR: executor,
    SUBGRAPH_CONNECT_TIMEOUT_MS: '500',
  });
  const gateway = createGraphQLApollo(config, {
    supergraphSdl: composed.supergraphSdl,
    subgraphUrls: urls,
    log,
  });
  await gateway.start();
  const http = createServer(gateway.listener);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const router = { gateway, http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql` };
  routers.push(router);
  return router;
}

beforeAll(async () => {
  urls = {
    catalog: await serve('catalog', catalogSdl, {
      Query: {
        products: () => PRODUCTS.map(productOut),
        slowProducts: async () => {
          await new Promise((resolve) => setTimeout(resolve, 200));
          return PRODUCTS.map(productOut);
        },
        product: (_: unknown, { id }: { id: string }) => {
          if (id === 'boom') throw new GraphQLError('no such shelf', { extensions: { code: 'NOT_FOUND' } });
          if (id === 'ghost')
            return { id, name: 'Ghost', weight: 1, category: 'BOOKS', tags: [], brand: null };
          const p = PRODUCTS.find((row) => row.id === id);
          return p ? productOut(p) : null;
        },
        search: () => [
          { __typename: 'Brand', ...BRANDS[0] },
          { __typename: 'Product', ...productOut(PRODUCTS[1]!) },
        ],
        node: (_: unknown, { id }: { id: string }) => {
          const p = PRODUCTS.find((row) => row.id === id);
          if (p) return { __typename: 'Product', ...productOut(p) };
          const b = BRANDS.find((row) => row.id === id);
          return b ? { __typename: 'Brand', ...b } : null;
        },
        grid: () => [[productOut(PRODUCTS[0]!), null], [], [productOut(PRODUCTS[2]!)]],
      },
      Mutation: {
        rename: (_: unknown, { id, name }: { id: string; name: string }) => {
          const p = PRODUCTS.find((row) => row.id === id);
          return p ? { ...productOut(p), name } : null;
        },
      },
      Node: { __resolveType: (o: { __typename: string }) => o.__typename },
      SearchResult: { __resolveType: (o: { __typename: string }) => o.__typename },
      Product: {
        __resolveReference: (ref: { id: string }) => {
          const p = PRODUCTS.find((row) => row.id === ref.id);
          return p ? productOut(p) : null;
        },
      },
      Brand: { __resolveReference: (ref: { id: string }) => BRANDS.find((b) => b.id === ref.id) ?? null },
    }),
    reviews: await serve('reviews', reviewsSdl, {
      Product: {
        __resolveReference: (ref: { id: string }) => ref,
        reviews: (p: { id: string }) =>
          (REVIEWS[p.id] ?? []).map((r) => ({
            ...r,
            author: { id: r.author },
            brand: { id: 'b1', name: 'Manning' },
          })),
        rating: (p: { id: string }) => ((REVIEWS[p.id] ?? []).length ? 4.5 : null),
        awards: (p: { id: string }) => {
          if (p.id === 'p3')
            throw new GraphQLError('awards unavailable', { extensions: { code: 'FORBIDDEN' } });
          return p.id === 'p1' ? ['Best of 2026'] : [];
        },
      },
    }),
    users: await serve('users', usersSdl, {
      Query: { me: () => USERS[0] },
      User: { __resolveReference: (ref: { id: string }) => USERS.find((u) => u.id === ref.id) ?? null },
    }),
    shipping: await serve('shipping', shippingSdl, {
      Product: {
        __resolveReference: (ref: { id: string; weight: number | null; category: string }) => ref,
        shippingCost: (p: { weight: number | null; category: string }) =>
          p.weight === null ? null : Math.ceil(p.weight / 100) * (p.category === 'BOOKS' ? 1 : 2),
      },
    }),
  };
  await startRouter('router');
  await startRouter('apollo');
});

afterAll(async () => {
  for (const { http, gateway } of routers) {
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await gateway.stop();
  }
  for (const server of servers) await server.stop();
});

async function post(url: string, query: string, variables?: Record<string, unknown>, authorization?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

const totalRequests = () => Object.values(counts).reduce((a, b) => a + b, 0);

/** Both routers' answers and subgraph requests, and what the plan executor logged meanwhile. */
async function both(query: string, variables?: Record<string, unknown>) {
  const [ours, apollos] = routers;
  logs.lines.length = 0;
  const before = totalRequests();
  const mine = await post(ours!.url, query, variables);
  const myRequests = totalRequests() - before;
  const fallbacks = logs.lines
    .map((l) => JSON.parse(l) as { msg: string; reason?: string })
    .filter(
      (l) => l.msg === 'answered by Apollo’s executor' || l.msg === 'operation left to Apollo’s executor',
    );
  const middle = totalRequests();
  const theirs = await post(apollos!.url, query, variables);
  return { mine, theirs, myRequests, theirRequests: totalRequests() - middle, fallbacks };
}

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
    await servers[1]!.stop(); // reviews, for the rest of the file
    const { mine, theirs, fallbacks } = await both(`{ products { id name rating } }`);
    expect(comparable(mine.text)).toBe(comparable(theirs.text));
    const body = JSON.parse(mine.text) as { data: { products: { rating: null }[] }; errors: unknown[] };
    expect(body.data.products.map((p) => p.rating)).toEqual([null, null, null]);
    expect(body.errors.length).toBeGreaterThan(0);
    expect(fallbacks.map((f) => f.reason)).toEqual(['reviews failed']);
  });
});
