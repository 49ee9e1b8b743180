import { setTimeout as sleep } from 'node:timers/promises';
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
 * The differential graph of the plan executor's tests (executor.int.test.ts): four subgraphs
 * (catalog, reviews, users, shipping) with entity chains, @requires, @provides, an interface and a
 * union, lists of lists, served by Apollo Server and counting their requests, behind two routers
 * built as /graphql is (createGraphQLApollo), QUERY_EXECUTOR=router and QUERY_EXECUTOR=apollo.
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
export const counts: Record<string, number> = {};
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
export const routers: { gateway: GraphQLApollo; http: Server; url: string }[] = [];

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

/** Starts the subgraphs and both routers (ours first). */
export async function startGraph(): Promise<void> {
  urls = {
    catalog: await serve('catalog', catalogSdl, {
      Query: {
        products: () => PRODUCTS.map(productOut),
        slowProducts: async () => {
          await sleep(200);
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
}

export async function stopGraph(): Promise<void> {
  for (const { http, gateway } of routers) {
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await gateway.stop();
  }
  for (const server of servers) await server.stop();
}

/** Stops the reviews subgraph (for the rest of the file). */
export const stopReviews = () => servers[1]!.stop();

export async function post(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  authorization?: string,
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

const totalRequests = () => Object.values(counts).reduce((a, b) => a + b, 0);

/** Both routers' answers and subgraph requests, and what the plan executor logged meanwhile. */
export async function both(query: string, variables?: Record<string, unknown>) {
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
