import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { ROUTER_SECRET_HEADER, type Viewer } from '@shop/auth';
import { customer, PLACE, ROUTER_SECRET } from './helpers';
import { bootWithProducts } from './with-products';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The real orders and products subgraphs behind an Apollo Gateway, with a stand-in users subgraph
 * (it only answers `me` with the id of the user named by a test header).
 */
describe('me { orders { items { product { name } } } } through the gateway', () => {
  let env: Awaited<ReturnType<typeof bootWithProducts>>;
  let users: ApolloServer;
  let gateway: ApolloServer<{ authorization?: string; userId?: string }>;

  beforeAll(async () => {
    // No background loops, so every statement counted below is caused by the query.
    // 41 unpaid orders of one customer below: above the default cap of unpaid orders.
    env = await bootWithProducts(
      { MAX_UNPAID_ORDERS: '100' },
      { runRelay: false, runExpiry: false, consumePayments: false },
    );
    users = new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs: parse(`
          extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
          type Query { me: User }
          type User @key(fields: "id") { id: ID! }
        `),
        resolvers: {
          Query: {
            me: (_: unknown, __: unknown, ctx: unknown) => {
              const userId = (ctx as { userId?: string }).userId;
              return userId ? { id: userId } : null;
            },
          },
        },
      }),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
      logger: silent,
    });
    const { url: usersUrl } = await startStandaloneServer(users, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ userId: req.headers['x-test-user'] as string | undefined }),
    });
    gateway = new ApolloServer({
      gateway: new ApolloGateway({
        logger: silent,
        supergraphSdl: new IntrospectAndCompose({
          subgraphs: [
            { name: 'users', url: usersUrl },
            { name: 'products', url: env.productsUrl },
            { name: 'orders', url: env.h.url },
          ],
        }),
        buildService: ({ url }) =>
          new RemoteGraphQLDataSource<{ authorization?: string; userId?: string }>({
            url,
            willSendRequest({ request, context }) {
              request.http?.headers.set(ROUTER_SECRET_HEADER, ROUTER_SECRET);
              if (context.authorization) request.http?.headers.set('authorization', context.authorization);
              if (context.userId) request.http?.headers.set('x-test-user', context.userId);
            },
          }),
      }),
      logger: silent,
    });
    await gateway.start();
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await users?.stop();
    await env?.stop();
  });

  const QUERY = `{ me { id orders(first: 50) { edges { node { number items { quantity product { name } } } } } } }`;

  async function customerWithOrders(orders: number, linesPerOrder: number, productIds: string[]) {
    const user = customer();
    const run = await env.h.as(user);
    for (let i = 0; i < orders; i += 1) {
      const items = productIds.slice(0, linesPerOrder).map((productId) => ({ productId, quantity: 1 }));
      const res = await run<{ placeOrder: { __typename: string } }>(PLACE, {
        input: { idempotencyKey: randomUUID(), items },
      });
      expect(res.data?.placeOrder.__typename).toBe('Order');
    }
    return user;
  }

  async function measure(user: Viewer) {
    const authorization = await env.h.issuer.bearer(user);
    const before = env.h.app.db.stats.queries;
    const res = await gateway.executeOperation(
      { query: QUERY },
      { contextValue: { authorization, userId: user.id } },
    );
    const queries = env.h.app.db.stats.queries - before;
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    expect(res.body.singleResult.errors).toBeUndefined();
    const data = res.body.singleResult.data as {
      me: { orders: { edges: { node: { items: { product: { name: string } }[] } }[] } };
    };
    return { queries, orders: data.me.orders.edges };
  }

  it('costs the same small number of MySQL queries for 1 order of 1 line and 40 orders of 3 lines', async () => {
    const products = await Promise.all(
      ['Alpha', 'Beta', 'Gamma'].map((name) => env.addProduct(name, 1000, 100)),
    );
    const ids = products.map((p) => p.id);
    const small = await measure(await customerWithOrders(1, 1, ids));
    const large = await measure(await customerWithOrders(40, 3, ids));

    expect(small.orders).toHaveLength(1);
    expect(large.orders).toHaveLength(40);
    expect(large.orders[0]!.node.items.map((i) => i.product.name)).toEqual(['Alpha', 'Beta', 'Gamma']);
    // One query for the page of orders, one for the items of all of them.
    expect(small.queries).toBe(2);
    expect(large.queries).toBe(small.queries);
  }, 60_000);
});
