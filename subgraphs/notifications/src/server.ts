import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { viewerFromAuthorization, type TokenVerifier } from '@shop/auth';
import { createGraphQLHttpServer, sharedApolloOptions, type GraphQLServer, type Logger } from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { NotificationsService } from './notifications.service';
import { createResolvers } from './resolvers';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ServerDeps {
  service: NotificationsService;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
}

/** The GraphQL HTTP server of the subgraph. No side effects until listen(). */
export async function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  const apollo = new ApolloServer<Context>({
    // The generated resolver types are stricter than @apollo/subgraph's GraphQLResolverMap<unknown>
    // (typed context and parents), so they are not assignable to it; the shapes are the same.
    schema: buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(deps.service) as never }]),
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
        log: deps.log.child({ requestId }),
        loaders: createLoaders(deps.service, viewer),
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
