import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { viewerFromAuthorization, type TokenVerifier } from '@shop/auth';
import { createGraphQLHttpServer, sharedApolloOptions, type Logger } from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { PaymentRepository } from './payments.repository';
import type { PaymentService } from './payments.service';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ServerDeps {
  repository: PaymentRepository;
  service: PaymentService;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
}

/** The GraphQL HTTP server. No side effects until listen(). */
export async function createServer(deps: ServerDeps) {
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]),
    ...sharedApolloOptions<Context>(deps.log),
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
      loaders: createLoaders(deps.repository),
      log: deps.log.child({ requestId }),
      service: deps.service,
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
