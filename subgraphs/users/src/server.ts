import type { ApolloServerPlugin } from '@apollo/server';
import { CLIENT_ADDRESS_HEADER, type TokenSigner } from '@shop/auth';
import {
  createSubgraphServer,
  loadTypeDefs,
  sendJson,
  type GraphQLServer,
  type ServerDeps as SubgraphServerDeps,
} from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import { createResolvers } from './resolvers';
import { clientBucket } from './throttle';
import type { UsersService } from './users.service';

const typeDefs = loadTypeDefs(import.meta.url);

export interface ServerDeps extends SubgraphServerDeps<UsersService> {
  signer: TokenSigner;
}

/** One log line per GraphQL request: operation name, duration and error count (never variables). */
const requestLog: ApolloServerPlugin<Context> = {
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
};

/** The users GraphQL HTTP server (plus /.well-known/jwks.json). No side effects until listen(). */
export function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  return createSubgraphServer<Context>({
    ...deps,
    typeDefs,
    resolvers: createResolvers(deps.service),
    plugins: [requestLog],
    routes: {
      '/.well-known/jwks.json': ({ res }) =>
        sendJson(res, 200, deps.signer.jwks(), { 'cache-control': 'public, max-age=300' }),
    },
    // The client address is read only here, after the router secret was checked (createSubgraphServer).
    context: (base, req) => ({
      ...base,
      signedIn: new Set(),
      loaders: createLoaders(deps.service, base.viewer),
      clientAddress: clientBucket(req.headers[CLIENT_ADDRESS_HEADER]),
    }),
  });
}
