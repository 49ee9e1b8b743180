import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import { viewerFromAuthorization, type TokenVerifier } from '@shop/auth';
import { createGraphQLHttpServer, sharedApolloOptions, type Logger } from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { OrdersRepository } from './orders.repository';
import type { OrdersService } from './orders.service';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ServerDeps {
  repo: OrdersRepository;
  orders: OrdersService;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
}

/** The GraphQL HTTP server of the orders subgraph. No side effects until started. */
export async function createServer(deps: ServerDeps) {
  const shared = sharedApolloOptions<Context>(deps.log);
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }),
    ...shared,
  });
  await apollo.start();
  const http = createGraphQLHttpServer<Context>({
    apollo,
    routerSecret: deps.routerSecret,
    log: deps.log,
    ...(deps.ready ? { ready: deps.ready } : {}),
    context: async ({ req, requestId }) => ({
      viewer: await viewerFromAuthorization(req.headers.authorization, deps.verifyToken),
      requestId,
      loaders: createLoaders(deps.repo),
      orders: deps.orders,
      log: deps.log.child({ requestId }),
    }),
  });
  return {
    listen: http.listen,
    async close() {
      await http.close();
      await apollo.stop();
    },
  };
}
