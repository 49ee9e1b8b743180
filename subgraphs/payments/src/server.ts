import {
  createSubgraphServer,
  loadTypeDefs,
  type GraphQLServer,
  type ServerDeps as SubgraphServerDeps,
} from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { PaymentsService } from './payments.service';
import { createResolvers } from './resolvers';

const typeDefs = loadTypeDefs(import.meta.url);

export type ServerDeps = SubgraphServerDeps<PaymentsService>;

/** The GraphQL HTTP server of the payments subgraph. No side effects until listen(). */
export function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  return createSubgraphServer<Context>({
    ...deps,
    typeDefs,
    resolvers: createResolvers(deps.service),
    context: (base) => ({ ...base, loaders: createLoaders(deps.service, base.viewer) }),
  });
}
