import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ErrorCode } from '@shop/errors';
import { requestContext, requestIdFrom, sharedApolloOptions, type Logger } from '@shop/server';
import { sandboxEnabled, subgraphUrls as configSubgraphUrls, watchEnabled, type Config } from './config';
import { createSubgraphClient, type RouterContext, type SubgraphClient } from './datasource';
import { createGateway } from './gateway';
import { ClientGoneError, sendGraphQLError, serveApollo } from './http';
import { operationLimitsPlugin } from './plugins/limits';

/** Relative supergraph paths are resolved from the repository root, whatever the working directory. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface GraphQLApolloOptions {
  log: Logger;
  /** A composed supergraph. Default: the file at `supergraphPath`. */
  supergraphSdl?: string;
  /** Default: config.SUPERGRAPH_PATH (relative to the repository root). */
  supergraphPath?: string;
  /** Subgraph name -> URL, overriding the supergraph's routing URLs. Default: the config's *_URL. */
  subgraphUrls?: Record<string, string>;
  /** A subgraph client to share (the caller closes it). Default: a new one, closed by stop(). */
  client?: SubgraphClient;
  /** Introspection. Default: SANDBOX (development only). */
  introspection?: boolean;
  /** Apollo Sandbox as the landing page. Default: off. */
  landingPage?: boolean;
}

export interface GraphQLApollo {
  apollo: ApolloServer<RouterContext>;
  start(): Promise<void>;
  /** Serves one GraphQL HTTP request with the given context. */
  serve(req: IncomingMessage, res: ServerResponse, context: RouterContext): Promise<void>;
  /** A node:http request listener: request id (echoed), the client's Authorization passed on, serve. */
  listener(req: IncomingMessage, res: ServerResponse): void;
  stop(): Promise<void>;
}

/** The subgraph client of a router config. */
export const subgraphClientFor = (config: Config) =>
  createSubgraphClient({
    connectTimeoutMs: config.SUBGRAPH_CONNECT_TIMEOUT_MS,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    connections: config.SUBGRAPH_CONNECTIONS,
  });

/**
 * The router's GraphQL endpoint for one supergraph: an ApolloGateway (createGateway: ShopDataSource,
 * undici pool) behind an Apollo Server with the router's options (masked errors, no batching, CSRF
 * prevention, token limit, the operation limits plugin) and nothing per request that is not needed:
 * usage and schema reporting, inline traces and cache-control calculation are off.
 *
 * createRouter builds `/graphql` and `/public/graphql` with it; benchmarks and tests use it to run
 * the router's exact GraphQL path with their own supergraph.
 */
export function createGraphQLApollo(config: Config, options: GraphQLApolloOptions): GraphQLApollo {
  const { log } = options;
  const ownClient = options.client ? undefined : subgraphClientFor(config);
  const client = options.client ?? ownClient!;
  const base = {
    subgraphUrls: options.subgraphUrls ?? configSubgraphUrls(config),
    routerSecret: config.ROUTER_SECRET,
    client,
    queryPlanCacheMiB: config.QUERY_PLAN_CACHE_MIB,
    executor: config.QUERY_EXECUTOR,
    shareFetches: config.SHARE_SUBGRAPH_FETCHES === 'true',
    log,
  };
  const gateway =
    options.supergraphSdl !== undefined
      ? createGateway({ ...base, supergraphSdl: options.supergraphSdl })
      : createGateway({
          ...base,
          supergraphPath: resolve(REPO_ROOT, options.supergraphPath ?? config.SUPERGRAPH_PATH),
          watch: watchEnabled(config),
        });
  const shared = sharedApolloOptions<RouterContext>(log);
  const landingPage = options.landingPage
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    formatError: shared.formatError,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.MAX_TOKENS },
    logger: log,
    introspection: options.introspection ?? sandboxEnabled(config),
    plugins: [
      operationLimitsPlugin<RouterContext>({
        maxDepth: config.MAX_DEPTH,
        maxAliases: config.MAX_ALIASES,
        maxCost: config.MAX_COST,
        maxQueryBytes: config.MAX_QUERY_BYTES,
      }),
      ...([
        landingPage,
        ApolloServerPluginUsageReportingDisabled(),
        ApolloServerPluginSchemaReportingDisabled(),
        ApolloServerPluginInlineTraceDisabled(),
        ApolloServerPluginCacheControlDisabled(),
      ] as ApolloServerPlugin<RouterContext>[]),
    ],
  });

  const serve = (req: IncomingMessage, res: ServerResponse, context: RouterContext) =>
    serveApollo(apollo, req, res, context, config.MAX_BODY_BYTES, config.MAX_QUERY_BYTES);

  return {
    apollo,
    start: () => apollo.start(),
    serve,
    listener(req, res) {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      res.setHeader('x-request-id', requestId);
      const authorization = req.headers.authorization;
      requestContext.run({ requestId }, () => {
        serve(req, res, { requestId, ...(authorization ? { authorization } : {}) }).catch((err: unknown) => {
          if (err instanceof ClientGoneError) return log.debug('client gone before its request was read');
          log.error({ err }, 'request failed');
          if (!res.headersSent)
            sendGraphQLError(res, 500, 'Internal server error', {
              code: ErrorCode.INTERNAL_SERVER_ERROR,
              requestId,
            });
          else res.end();
        });
      });
    },
    async stop() {
      await apollo.stop();
      await ownClient?.close();
    },
  };
}
