import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import { viewerFromAuthorization, type TokenVerifier } from '@shop/auth';
import { createGraphQLHttpServer, sharedApolloOptions, type GraphQLServer, type Logger } from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { OrdersService } from './orders.service';
import { createResolvers } from './resolvers';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ServerDeps {
  service: OrdersService;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
}

/** The GraphQL HTTP server of the orders subgraph. No side effects until started. */
export async function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  const resolvers = createResolvers(deps.service);
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }),
    ...sharedApolloOptions<Context>(deps.log),
  });
  await apollo.start();
  const http = createGraphQLHttpServer<Context>({
    apollo,
    routerSecret: deps.routerSecret,
    log: deps.log,
    ...(deps.ready ? { ready: deps.ready } : {}),
    context: async ({ req, requestId }) => {
      const viewer = await viewerFromAuthorization(req.headers.authorization, deps.verifyToken);
      return {
        viewer,
        requestId,
        loaders: createLoaders(deps.service, viewer),
        log: deps.log.child({ requestId }),
      };
    },
  });
  return {
    listen: http.listen,
    async close() {
      await http.close();
      await apollo.stop();
    },
  };
}
