import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { viewerFromAuthorization, type TokenSigner, type TokenVerifier } from '@shop/auth';
import {
  createGraphQLHttpServer,
  sendJson,
  sharedApolloOptions,
  type GraphQLServer,
  type Logger,
} from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import { createResolvers } from './resolvers';
import type { UsersService } from './users.service';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ServerDeps {
  service: UsersService;
  signer: TokenSigner;
  verifyToken: TokenVerifier;
  routerSecret: string;
  log: Logger;
  ready: () => Promise<boolean>;
}

/** The users GraphQL HTTP server (plus /.well-known/jwks.json). No side effects until listen(). */
export async function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  const shared = sharedApolloOptions<Context>(deps.log);
  const apollo = new ApolloServer<Context>({
    // The generated resolver types are stricter than @apollo/subgraph's GraphQLResolverMap<unknown>
    // (typed context and parents), so they are not assignable to it; the shapes are the same.
    schema: buildSubgraphSchema({ typeDefs, resolvers: createResolvers(deps.service) as never }),
    ...shared,
    plugins: [
      ...(shared.plugins ?? []),
      {
        async requestDidStart({ contextValue }) {
          const started = Date.now();
          return {
            async willSendResponse({ operationName, errors }) {
              contextValue.log.info(
                {
                  operationName: operationName ?? null,
                  durationMs: Date.now() - started,
                  errors: errors?.length ?? 0,
                },
                'graphql request',
              );
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const http = createGraphQLHttpServer<Context>({
    apollo,
    log: deps.log,
    routerSecret: deps.routerSecret,
    ready: deps.ready,
    routes: {
      '/.well-known/jwks.json': ({ res }) =>
        sendJson(res, 200, deps.signer.jwks(), { 'cache-control': 'public, max-age=300' }),
    },
    context: async ({ req, requestId }) => {
      const viewer = await viewerFromAuthorization(req.headers.authorization, deps.verifyToken);
      return {
        viewer,
        requestId,
        log: deps.log,
        signedIn: new Set(),
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
