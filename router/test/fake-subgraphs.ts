import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGraphQLHttpServer, sharedApolloOptions, type Logger } from '@shop/server';
import { parse } from 'graphql';
import type { TokenVerifier } from '@shop/auth';
import { errors } from 'jose';
import { SUBGRAPHS, type SubgraphSdl } from '../../schema/composition';

/**
 * Five small in-process subgraphs with the fixture SDLs (router/test/fixtures), served the way the
 * real ones are: createGraphQLHttpServer with the router secret. They count requests and keep the
 * headers of the last one, so tests can see what the router sent (or did not send).
 */

export const FAKE_TOKEN = 'Bearer fake-token-of-ada';

/** Stands in for JWKS verification at the router's edge: only FAKE_TOKEN is valid. */
export const fakeVerifyToken: TokenVerifier = async (token) => {
  if (`Bearer ${token}` !== FAKE_TOKEN) throw new errors.JWSSignatureVerificationFailed();
  return { id: 'u1', role: 'CUSTOMER', email: 'ada@example.com' };
};
type Ctx = { authorization?: string };
type Resolvers = Record<string, Record<string, unknown>>;

const products = [
  {
    id: 'p1',
    sku: 'BOOK-1',
    name: 'GraphQL in Action',
    price: { amount: 3999, currency: 'EUR' },
    category: 'BOOKS',
    stock: 7,
  },
  {
    id: 'p2',
    sku: 'CD-1',
    name: 'Federation Blues',
    price: { amount: 1299, currency: 'EUR' },
    category: 'MUSIC',
    stock: 0,
  },
];
const ada = { id: 'u1', email: 'ada@example.com', name: 'Ada' };
const order = {
  id: 'o1',
  status: 'PAID',
  total: { amount: 7998, currency: 'EUR' },
  items: [{ product: { id: 'p1' }, quantity: 2 }],
};

const resolvers: Record<string, Resolvers> = {
  users: {
    Query: { me: (_: unknown, __: unknown, ctx: Ctx) => (ctx.authorization === FAKE_TOKEN ? ada : null) },
    User: { __resolveReference: (ref: { id: string }) => (ref.id === ada.id ? ada : null) },
    Mutation: {
      register: () => ({ __typename: 'InvalidInputError', message: 'not in the fake', field: 'email' }),
    },
  },
  products: {
    Query: {
      products: (_: unknown, args: { first?: number }) => ({
        edges: products.slice(0, args.first ?? 20).map((node) => ({ cursor: node.id, node })),
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      }),
      product: (_: unknown, args: { id: string }) => {
        if (args.id === 'boom')
          throw new Error('connect ECONNREFUSED mongodb://10.0.0.7:27017 (internal detail)');
        return products.find((p) => p.id === args.id) ?? null;
      },
    },
    Product: { __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null },
  },
  orders: {
    Query: { order: (_: unknown, args: { id: string }) => (args.id === order.id ? order : null) },
    User: { orders: () => [order] },
    Order: { __resolveReference: (ref: { id: string }) => (ref.id === order.id ? order : null) },
  },
  payments: {
    Order: {
      payment: (ref: { id: string }) => ({ id: `pay-${ref.id}`, amount: order.total, status: 'SUCCEEDED' }),
    },
  },
  notifications: {
    User: { notifications: () => [{ id: 'n1', subject: 'Welcome' }] },
    Order: {
      notifications: (ref: { id: string }) => [{ id: `n-${ref.id}`, subject: `Order ${ref.id} paid` }],
    },
  },
};

export const fixtureSdl = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}.graphql`, import.meta.url), 'utf8');

/** The fixture subgraphs with the default routing URLs (the router overrides them from config). */
export const fixtureSubgraphs = (): SubgraphSdl[] =>
  SUBGRAPHS.map(({ name, url }) => ({ name, url, sdl: fixtureSdl(name) }));

export interface FakeSubgraph {
  name: string;
  url: string;
  requests: number;
  lastHeaders: IncomingHttpHeaders | undefined;
  /** Stops serving (the port is closed); restart() serves again on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeSubgraph(
  name: string,
  routerSecret: string,
  log: Logger,
): Promise<FakeSubgraph> {
  const apollo = new ApolloServer<Ctx>({
    schema: buildSubgraphSchema({ typeDefs: parse(fixtureSdl(name)), resolvers: resolvers[name] as never }),
    ...sharedApolloOptions<Ctx>(log),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  let port = 0;
  let http: ReturnType<typeof createGraphQLHttpServer<Ctx>> | undefined;
  const fake: FakeSubgraph = {
    name,
    url: '',
    requests: 0,
    lastHeaders: undefined,
    async stop() {
      await http?.close();
      http = undefined;
    },
    async restart() {
      http = createGraphQLHttpServer<Ctx>({
        apollo,
        routerSecret,
        log,
        context: async ({ req }) =>
          req.headers.authorization ? { authorization: req.headers.authorization } : {},
      });
      http.server.on('request', (req) => {
        if (req.url?.startsWith('/graphql')) {
          fake.requests += 1;
          fake.lastHeaders = req.headers;
        }
      });
      const listening = await http.listen(port);
      port = listening.port;
      fake.url = listening.url;
    },
    async close() {
      await fake.stop();
      await apollo.stop();
    },
  };
  await fake.restart();
  return fake;
}
