import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { gql, memoryLog } from '@shop/testing';
import { GraphQLError, parse } from 'graphql';
import { configSchema } from '../config';
import { createGraphQLApollo, type GraphQLApollo } from '../graphql';

/**
 * Entity deduplication through the real gateway: reviews (4, three about the same product) ->
 * products `_entities`. The products subgraph must see each product once; the client gets every
 * occurrence answered, and an error on a duplicated product at each occurrence's own path.
 */
const logs = memoryLog();
const log = createLogger({ name: 'dedup-test', level: 'info' }, logs.stream);

const FED = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])`;
const reviewsSdl = parse(`${FED}
  type Query { reviews: [Review!]! }
  type Review { id: ID! product: Product! }
  type Product @key(fields: "id", resolvable: false) { id: ID! }
`);
const productsSdl = parse(`${FED}
  type Query { product(id: ID!): Product }
  type Product @key(fields: "id") { id: ID! name: String }
`);

const REVIEWS = [
  { id: 'r1', product: 'broken' },
  { id: 'r2', product: 'p2' },
  { id: 'r3', product: 'broken' },
  { id: 'r4', product: 'broken' },
];
const seenRepresentations: string[][] = [];

const servers: ApolloServer[] = [];
let gateway: GraphQLApollo;
let http: Server;
let url: string;

async function serve(server: ApolloServer): Promise<string> {
  servers.push(server);
  const { url: serverUrl } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return serverUrl;
}

beforeAll(async () => {
  const reviewsUrl = await serve(
    new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs: reviewsSdl,
        resolvers: {
          Query: { reviews: () => REVIEWS },
          Review: {
            product: (review: { product: string }) => ({ __typename: 'Product', id: review.product }),
          },
        },
      }),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    }),
  );
  const productsUrl = await serve(
    new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs: productsSdl,
        resolvers: {
          Product: {
            __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
            name: (product: { id: string }) => {
              if (product.id === 'broken')
                throw new GraphQLError('no name', { extensions: { code: 'FORBIDDEN' } });
              return `Product ${product.id}`;
            },
          },
        },
      }),
      plugins: [
        ApolloServerPluginInlineTraceDisabled(),
        {
          async requestDidStart({ request }) {
            const reps = request.variables?.representations as { id: string }[] | undefined;
            if (reps) seenRepresentations.push(reps.map((r) => r.id));
          },
        },
      ],
    }),
  );
  const composed = composeServices([
    { name: 'reviews', typeDefs: reviewsSdl, url: reviewsUrl },
    { name: 'products', typeDefs: productsSdl, url: productsUrl },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const config = loadConfig(configSchema, { NODE_ENV: 'test', SUPERGRAPH_WATCH: 'false', SANDBOX: 'false' });
  gateway = createGraphQLApollo(config, {
    supergraphSdl: composed.supergraphSdl,
    subgraphUrls: { reviews: reviewsUrl, products: productsUrl },
    log,
  });
  await gateway.start();
  http = createServer(gateway.listener);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  await gateway.stop();
  for (const server of servers) await server.stop();
});

describe('entity deduplication through the gateway', () => {
  it('sends each product once, answers every occurrence and puts errors at every occurrence', async () => {
    seenRepresentations.length = 0;
    const res = await gql<{ reviews: { id: string; product: { id: string; name: string | null } }[] }>(
      url,
      '{ reviews { id product { id name } } }',
    );
    expect(res.status).toBe(200);
    expect(seenRepresentations).toEqual([['broken', 'p2']]);
    expect(res.data?.reviews).toEqual([
      { id: 'r1', product: { id: 'broken', name: null } },
      { id: 'r2', product: { id: 'p2', name: 'Product p2' } },
      { id: 'r3', product: { id: 'broken', name: null } },
      { id: 'r4', product: { id: 'broken', name: null } },
    ]);
    expect(res.errors?.map((e) => [e.message, e.path, e.extensions?.code])).toEqual([
      ['no name', ['reviews', 0, 'product', 'name'], 'FORBIDDEN'],
      ['no name', ['reviews', 2, 'product', 'name'], 'FORBIDDEN'],
      ['no name', ['reviews', 3, 'product', 'name'], 'FORBIDDEN'],
    ]);
  });
});
