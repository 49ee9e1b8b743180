import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import { viewerFromAuthorization, type TokenVerifier } from '@shop/auth';
import { createGraphQLHttpServer, sharedApolloOptions, type Logger } from '@shop/server';
import type { Context } from './context';
import type { NotificationRepository } from './notification.repository';
import { createNotificationService } from './notification.service';
import { createResolvers } from './resolvers';

/** The resolver map type buildSubgraphSchema takes (not exported by @apollo/subgraph's entry point). */
type ResolverMap = NonNullable<
  Extract<Parameters<typeof buildSubgraphSchema>[0], unknown[]>[number] extends infer M
    ? M extends { resolvers?: infer R }
      ? R
      : never
    : never
>;

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ServerDeps {
  repo: NotificationRepository;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
}

/** The GraphQL HTTP server of the subgraph. No side effects until listen(). */
export async function createServer(deps: ServerDeps) {
  const service = createNotificationService(deps.repo);
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(service) as ResolverMap }]);
  const apollo = new ApolloServer<Context>({
    schema,
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
        loaders: {
          notification: new DataLoader((ids: readonly string[]) => service.findNotifications(viewer, ids)),
          orderNotifications: new DataLoader((ids: readonly string[]) => service.listForOrders(viewer, ids)),
        },
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
