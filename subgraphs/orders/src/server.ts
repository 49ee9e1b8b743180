import type { TokenVerifier } from '@shop/auth';
import { createSubgraphServer, loadTypeDefs, type GraphQLServer, type Logger } from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { OrdersService } from './orders.service';
import { createResolvers } from './resolvers';

const typeDefs = loadTypeDefs(import.meta.url);

export interface ServerDeps {
  service: OrdersService;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
}

/** The GraphQL HTTP server of the orders subgraph. No side effects until listen(). */
export function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  return createSubgraphServer<Context>({
    ...deps,
    typeDefs,
    resolvers: createResolvers(deps.service),
    context: (base) => ({ ...base, loaders: createLoaders(deps.service, base.viewer) }),
  });
}
