import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { viewerFromAuthorization, type TokenVerifier, type Viewer } from '@shop/auth';
import { sharedApolloOptions } from './apollo';
import { guardEntities } from './entities';
import { createGraphQLHttpServer, type GraphQLServer, type Route } from './http';
import type { Logger } from './logger';

/** A subgraph's SDL, read once next to the module that asks (`loadTypeDefs(import.meta.url)`). */
export function loadTypeDefs(moduleUrl: string, file = './schema.graphql'): DocumentNode {
  return parse(readFileSync(new URL(file, moduleUrl), 'utf8'));
}

/** What every subgraph's createServer takes: its service and how to check a request. */
export interface ServerDeps<TService> {
  service: TService;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  /** Readiness: true when every dependency answers. */
  ready?: () => Promise<boolean>;
}

/** What every subgraph's context starts from. */
export interface BaseSubgraphContext {
  /** The verified token's claims, or null for an anonymous request. */
  viewer: Viewer | null;
  requestId: string;
  /** The logger (every line below a request carries its id through the logger's mixin). */
  log: Logger;
}

export interface SubgraphServerOptions<TContext extends BaseSubgraphContext> {
  typeDefs: DocumentNode;
  /**
   * The resolver map. The generated resolver types are stricter than @apollo/subgraph's
   * GraphQLResolverMap<unknown> (typed context and parents), so they are not assignable to it; the
   * shapes are the same, hence `object` here.
   */
  resolvers: object;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready?: () => Promise<boolean>;
  /** Extra GET routes, e.g. '/.well-known/jwks.json'. */
  routes?: Record<string, Route>;
  /** Apollo plugins beyond the shared ones. */
  plugins?: ApolloServerPlugin<TContext>[];
  /** The rest of the per-request context (loaders, ...), given the verified viewer and the request. */
  context: (base: BaseSubgraphContext, req: IncomingMessage) => TContext;
}

/**
 * The GraphQL HTTP server of an Apollo subgraph (users, orders, payments, notifications; products
 * serves the same contract through mercurius): a Federation 2 schema, the shared Apollo options,
 * the router-secret check, the viewer from the Authorization header (a bad token is UNAUTHENTICATED),
 * `_entities` representations checked before they are resolved (guardEntities), /healthz and
 * /readyz. Apollo starts here; nothing listens until listen().
 */
export async function createSubgraphServer<TContext extends BaseSubgraphContext & BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<GraphQLServer> {
  const shared = sharedApolloOptions<TContext>(options.log);
  const apollo = new ApolloServer<TContext>({
    schema: guardEntities(
      buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as never }),
    ),
    ...shared,
    plugins: [...shared.plugins, ...(options.plugins ?? [])],
  });
  await apollo.start();
  const http = createGraphQLHttpServer<TContext>({
    apollo,
    routerSecret: options.routerSecret,
    log: options.log,
    ...(options.ready ? { ready: options.ready } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
    context: async ({ req, requestId }) =>
      options.context(
        {
          viewer: await viewerFromAuthorization(req.headers.authorization, options.verifyToken),
          requestId,
          log: options.log,
        },
        req,
      ),
  });
  return {
    listen: http.listen,
    async close() {
      await http.close();
      await apollo.stop();
    },
  };
}
